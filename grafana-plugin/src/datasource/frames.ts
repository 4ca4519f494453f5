/**
 * Twin API answers → Grafana data frames. Pure: the datasource and its tests share them.
 */
import { createDataFrame, FieldType, type DataFrame } from '@grafana/data';
import type { AssetPage, AssetView, CommandRecord, HistoryEntry, PropertyValue } from '../api/types';
import { formatParams, formatValue } from '../components/common/format';

export function assetsFrame(refId: string, page: AssetPage): DataFrame {
  const items = page.items;
  return createDataFrame({
    refId,
    name: 'assets',
    meta: { custom: { total: page.total, offset: page.offset } },
    fields: [
      { name: 'id', type: FieldType.string, values: items.map((a) => a.id) },
      { name: 'class', type: FieldType.string, values: items.map((a) => a.assetClass) },
      { name: 'site', type: FieldType.string, values: items.map((a) => a.site ?? '') },
      { name: 'last seen', type: FieldType.time, values: items.map((a) => a.lastSeenMs) },
      { name: 'stale', type: FieldType.boolean, values: items.map((a) => a.stale) },
      { name: 'diverged', type: FieldType.boolean, values: items.map((a) => a.diverged) },
      { name: 'properties', type: FieldType.number, values: items.map((a) => a.properties) },
    ],
  });
}

/** Numbers stay numbers (for thresholds and stats); a mixed or textual column becomes text. */
function valueField(name: string, values: Array<PropertyValue | undefined>) {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length > 0 && present.every((v) => typeof v === 'number')) {
    return { name, type: FieldType.number, values: values.map((v) => (typeof v === 'number' ? v : null)) };
  }
  return {
    name,
    type: FieldType.string,
    values: values.map((v) => (v === null || v === undefined ? null : formatValue(v))),
  };
}

export function stateFrame(refId: string, asset: AssetView): DataFrame {
  const p = asset.properties;
  return createDataFrame({
    refId,
    name: `state ${asset.id}`,
    meta: { custom: { stale: asset.stale, diverged: asset.diverged, staleAfterMs: asset.staleAfterMs } },
    fields: [
      { name: 'property', type: FieldType.string, values: p.map((x) => x.property) },
      valueField(
        'physical',
        p.map((x) => x.physical?.value)
      ),
      {
        name: 'physical age',
        type: FieldType.number,
        config: { unit: 'ms' },
        values: p.map((x) => x.physical?.ageMs ?? null),
      },
      {
        name: 'physical stale',
        type: FieldType.boolean,
        values: p.map((x) => (x.physical ? x.physical.ageMs > asset.staleAfterMs : null)),
      },
      valueField(
        'twin',
        p.map((x) => x.twin?.value)
      ),
      { name: 'twin age', type: FieldType.number, config: { unit: 'ms' }, values: p.map((x) => x.twin?.ageMs ?? null) },
      { name: 'diverged', type: FieldType.boolean, values: p.map((x) => x.divergence.diverged) },
    ],
  });
}

/** One time series per source (physical, twin), oldest first, ready for a time series panel. */
export function historyFrames(refId: string, assetId: string, property: string, entries: HistoryEntry[]): DataFrame[] {
  return (['physical', 'twin'] as const).map((source) => {
    const rows = entries.filter((e) => e.source === source).sort((a, b) => a.sourceTimeMs - b.sourceTimeMs);
    return createDataFrame({
      refId,
      name: `${assetId} ${property} ${source}`,
      fields: [
        { name: 'time', type: FieldType.time, values: rows.map((e) => e.sourceTimeMs) },
        {
          ...valueField(
            property,
            rows.map((e) => e.value)
          ),
          config: { displayNameFromDS: `${property} (${source})` },
          labels: { asset: assetId, source },
        },
      ],
    });
  });
}

export function commandsFrame(refId: string, commands: CommandRecord[]): DataFrame {
  const rows = [...commands].sort((a, b) => b.submittedAtMs - a.submittedAtMs);
  return createDataFrame({
    refId,
    name: 'commands',
    fields: [
      { name: 'submitted', type: FieldType.time, values: rows.map((c) => c.submittedAtMs) },
      { name: 'id', type: FieldType.string, values: rows.map((c) => c.id) },
      { name: 'asset', type: FieldType.string, values: rows.map((c) => c.assetId) },
      { name: 'command', type: FieldType.string, values: rows.map((c) => c.name) },
      { name: 'params', type: FieldType.string, values: rows.map((c) => formatParams(c.params)) },
      { name: 'user', type: FieldType.string, values: rows.map((c) => c.user) },
      { name: 'risk', type: FieldType.string, values: rows.map((c) => c.risk ?? '') },
      { name: 'status', type: FieldType.string, values: rows.map((c) => c.status) },
      { name: 'outcome', type: FieldType.string, values: rows.map((c) => c.outcome ?? '') },
      {
        name: 'detail',
        type: FieldType.string,
        values: rows.map((c) => c.outcomeMessage ?? c.verdicts.find((v) => !v.pass)?.message ?? ''),
      },
    ],
  });
}
