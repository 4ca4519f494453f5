import React, { useState } from 'react';
import { Alert, Badge, Button, Field, Input, LinkButton, RadioButtonGroup, Stack, useStyles2 } from '@grafana/ui';
import { useTwinServices } from '../../api/context';
import type { AssetView, ObservationView, PropertyView, ScoredPrediction } from '../../api/types';
import { CommandList } from '../Commands/CommandList';
import { ErrorAlert } from '../common/ErrorAlert';
import { formatAge, formatTime, formatValue } from '../common/format';
import { getTableStyles } from '../common/styles';
import { useAsync } from '../common/useAsync';
import { testIds } from '../testIds';

/** A physical value older than the class's staleAfter no longer describes the asset. */
export function isStaleObservation(observation: ObservationView | null, staleAfterMs: number): boolean {
  return observation !== null && observation.ageMs > staleAfterMs;
}

function Observation({ observation, stale }: { observation: ObservationView | null; stale: boolean }) {
  const s = useStyles2(getTableStyles);
  if (!observation) {
    return <span className={s.muted}>no value</span>;
  }
  return (
    <span className={stale ? s.stale : undefined}>
      <strong>{formatValue(observation.value)}</strong>{' '}
      <span className={stale ? undefined : s.muted}>{formatAge(observation.ageMs)} old</span>
      {stale && (
        <>
          {' '}
          <Badge color="orange" icon="exclamation-triangle" text="stale" />
        </>
      )}
    </span>
  );
}

function tolerance(p: PropertyView): string {
  const t = p.divergence.tolerance;
  if (!t) {
    return '—';
  }
  return 'epsilon' in t ? `${t.kind} ±${t.epsilon}` : t.kind;
}

function PropertiesTable({ asset }: { asset: AssetView }) {
  const s = useStyles2(getTableStyles);
  return (
    <table className={s.table} aria-label="Physical and twin state">
      <thead>
        <tr>
          <th scope="col">Property</th>
          <th scope="col">Physical</th>
          <th scope="col">Twin</th>
          <th scope="col">Divergence</th>
          <th scope="col">Tolerance</th>
        </tr>
      </thead>
      <tbody>
        {asset.properties.map((p) => (
          <tr key={p.property} data-testid={testIds.asset.property}>
            <th scope="row">{p.property}</th>
            <td>
              <Observation observation={p.physical} stale={isStaleObservation(p.physical, asset.staleAfterMs)} />
            </td>
            <td>
              <Observation observation={p.twin} stale={false} />
            </td>
            <td>
              {p.divergence.diverged ? (
                <Badge
                  color="red"
                  icon="exclamation-circle"
                  text={`diverged since ${formatTime(p.divergence.differsSinceMs)}`}
                />
              ) : p.divergence.differsSinceMs !== null ? (
                <span className={s.stale}>differs (within {formatAge(p.divergence.graceMs)} grace)</span>
              ) : p.divergence.comparable ? (
                <span className={s.good}>in sync</span>
              ) : (
                <span className={s.muted}>not comparable</span>
              )}
            </td>
            <td>{tolerance(p)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function History({ assetId, properties }: { assetId: string; properties: string[] }) {
  const { client } = useTwinServices();
  const s = useStyles2(getTableStyles);
  const [property, setProperty] = useState(properties[0]);
  const history = useAsync(
    () => (property ? client.getHistory(assetId, property) : Promise.resolve([])),
    [assetId, property]
  );
  return (
    <section className={s.section} data-testid={testIds.asset.history} aria-labelledby="asset-history-title">
      <h3 id="asset-history-title">History</h3>
      <Field label="Property">
        <RadioButtonGroup
          options={properties.map((p) => ({ label: p, value: p }))}
          value={property}
          onChange={setProperty}
        />
      </Field>
      {history.error !== undefined && <ErrorAlert title="Could not load the history" error={history.error} />}
      {history.value && history.value.length === 0 && <p className={s.muted}>No history kept for this property.</p>}
      {history.value && history.value.length > 0 && (
        <table className={s.table} aria-label={`History of ${property}`}>
          <thead>
            <tr>
              <th scope="col">Source time</th>
              <th scope="col">Source</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {[...history.value].reverse().map((e, i) => (
              <tr key={`${e.sourceTimeMs}-${e.source}-${i}`}>
                <td>{formatTime(e.sourceTimeMs)}</td>
                <td>{e.source}</td>
                <td>{formatValue(e.value)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Predictions({ assetId }: { assetId: string }) {
  const { client } = useTwinServices();
  const s = useStyles2(getTableStyles);
  const [model, setModel] = useState('');
  const [rows, setRows] = useState<ScoredPrediction[] | undefined>();
  const [error, setError] = useState<unknown>();
  const load = async () => {
    setError(undefined);
    try {
      setRows(await client.getPredictions(model.trim(), { asset: assetId }));
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section className={s.section} data-testid={testIds.asset.predictions} aria-labelledby="asset-predictions-title">
      <h3 id="asset-predictions-title">Predictions vs actuals</h3>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (model.trim() !== '') {
            void load();
          }
        }}
      >
        <Stack alignItems="flex-end">
          <Field label="Model" description="The twin.model.name of the predictions">
            <Input
              id="asset-model"
              value={model}
              placeholder="thermal"
              onChange={(e) => setModel(e.currentTarget.value)}
            />
          </Field>
          <Button type="submit" variant="secondary" disabled={model.trim() === ''}>
            Show predictions
          </Button>
        </Stack>
      </form>
      {error !== undefined && <ErrorAlert title="Could not load predictions" error={error} />}
      {rows && rows.length === 0 && <p className={s.muted}>No scored predictions of this model for this asset yet.</p>}
      {rows && rows.length > 0 && (
        <table className={s.table} aria-label="Predictions">
          <thead>
            <tr>
              <th scope="col">For</th>
              <th scope="col">Property</th>
              <th scope="col">Version</th>
              <th scope="col">Predicted</th>
              <th scope="col">Actual</th>
              <th scope="col">Error</th>
              <th scope="col">Within tolerance</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((p, i) => (
              <tr key={`${p.targetTimeMs}-${p.property}-${i}`}>
                <td>{formatTime(p.targetTimeMs)}</td>
                <td>{p.property}</td>
                <td>{p.modelVersion}</td>
                <td>{formatValue(p.predicted)}</td>
                <td>{formatValue(p.actual)}</td>
                <td>{p.error !== undefined ? formatValue(p.error) : (p.classification ?? '—')}</td>
                <td>{p.good ? <span className={s.good}>yes</span> : <span className={s.bad}>no</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

export interface AssetDetailsProps {
  assetId: string;
  refreshMs?: number;
}

/** One asset: physical vs twin per property with ages, stale values marked, history, predictions, commands. */
export function AssetDetails({ assetId, refreshMs = 5_000 }: AssetDetailsProps) {
  const { client, links, now = Date.now } = useTwinServices();
  const s = useStyles2(getTableStyles);
  const asset = useAsync(() => client.getAsset(assetId), [assetId], refreshMs);
  const commands = useAsync(() => client.listCommands({ asset: assetId, limit: 20 }), [assetId], refreshMs);

  if (asset.error !== undefined && !asset.value) {
    return <ErrorAlert title={`Could not load asset “${assetId}”`} error={asset.error} />;
  }
  const a = asset.value;
  if (!a) {
    return <p className={s.muted}>Loading…</p>;
  }
  const physicalAge = a.newestPhysicalMs === null ? undefined : now() - a.newestPhysicalMs;
  return (
    <div data-testid={testIds.asset.container}>
      <Stack gap={2} wrap="wrap" alignItems="center">
        <span>
          Class <strong>{a.assetClass}</strong>
        </span>
        <span>
          Site <strong>{a.site ?? '—'}</strong>
        </span>
        <span>Last seen {formatTime(a.lastSeenMs)}</span>
        {a.stale ? (
          <Badge color="orange" icon="exclamation-triangle" text="stale" />
        ) : (
          <Badge color="green" text="fresh" />
        )}
        {a.diverged ? (
          <Badge color="red" icon="exclamation-circle" text="diverged" />
        ) : (
          <Badge color="green" text="in sync" />
        )}
        {a.versions && (
          <span className={s.muted}>
            desired v{a.versions.desiredVersion ?? '—'} · reported v{a.versions.reportedVersion ?? '—'}
            {a.versions.unconvergedChanges > 0 &&
              ` · ${a.versions.unconvergedChanges} unconverged (oldest ${formatAge(a.versions.oldestUnconvergedAgeSeconds * 1000)})`}
          </span>
        )}
      </Stack>
      {a.stale && (
        <div data-testid={testIds.asset.staleBanner}>
          <Alert title="The twin is stale" severity="warning">
            {a.newestPhysicalMs === null
              ? 'No physical value has arrived yet.'
              : `The newest physical value is ${formatAge(physicalAge ?? 0)} old; this class is stale after ${formatAge(a.staleAfterMs)}.`}{' '}
            Values marked stale may no longer describe the asset; commands are refused while the twin is stale.
          </Alert>
        </div>
      )}
      <PropertiesTable asset={a} />
      <History assetId={a.id} properties={a.properties.map((p) => p.property)} />
      <Predictions assetId={a.id} />
      <section className={s.section} data-testid={testIds.asset.commands} aria-labelledby="asset-commands-title">
        <Stack justifyContent="space-between" alignItems="center">
          <h3 id="asset-commands-title">Commands</h3>
          <LinkButton href={links.commands(a.id)} icon="bolt" variant="primary">
            New command
          </LinkButton>
        </Stack>
        {commands.error !== undefined ? (
          <ErrorAlert title="Could not load the commands" error={commands.error} />
        ) : (
          <CommandList commands={commands.value ?? []} showAsset={false} />
        )}
      </section>
    </div>
  );
}
