/**
 * The panel kinds the dashboards use, each built from one options object, so a dashboard reads as
 * a list of panels. Every helper sets the SDK's fields in one fixed order: the committed JSON keeps
 * its keys in the order they were set, so that order is part of the output.
 */
import {
  MappingType,
  type DashboardLinkBuilder,
  type DataTransformerConfig,
  type DynamicConfigValue,
  type GridPos,
  type ThresholdsConfigBuilder,
  type ValueMapping,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as BarGauge } from '@grafana/grafana-foundation-sdk/bargauge';
import { PanelBuilder as Stat } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as StateTimeline } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as Table } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeSeries } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  BarGaugeDisplayMode,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  ReduceDataOptionsBuilder,
  VizOrientation,
  type TableSortByFieldStateBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import type { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { datasource } from './common.js';

/** What any panel can say; each helper adds its kind's own options. */
export interface PanelOptions {
  title: string;
  description: string;
  /** Prometheus queries (`query(…)`), refIds A, B, … in this order. */
  targets: DataqueryBuilder[];
  transformations?: DataTransformerConfig[];
  /** Field settings by series or column name. */
  overrides?: Record<string, DynamicConfigValue[]>;
  unit?: string;
  noValue?: string;
  decimals?: number;
  min?: number;
  max?: number;
  mappings?: ValueMapping[];
  thresholds?: ThresholdsConfigBuilder;
  /** Links in the panel's header menu. */
  links?: DashboardLinkBuilder[];
  /** Links on each series or value (e.g. to that asset's page). */
  dataLinks?: DashboardLinkBuilder[];
  gridPos: GridPos;
}

type AnyPanel = BarGauge | Stat | StateTimeline | Table | TimeSeries;

// The three steps every helper takes, with its kind's options between them.

/** Title, description, the `$datasource`, queries and transformations. */
function head<P extends AnyPanel>(panel: P, o: PanelOptions): P {
  panel.title(o.title);
  panel.description(o.description);
  panel.datasource(datasource);
  for (const target of o.targets) panel.withTarget(target);
  for (const t of o.transformations ?? []) panel.withTransformation(t);
  return panel;
}

/** The field config: overrides, unit, range, mappings and thresholds. */
function fields<P extends AnyPanel>(panel: P, o: PanelOptions): P {
  for (const [name, properties] of Object.entries(o.overrides ?? {}))
    panel.overrideByName(name, properties);
  if (o.unit !== undefined) panel.unit(o.unit);
  if (o.noValue !== undefined) panel.noValue(o.noValue);
  if (o.decimals !== undefined) panel.decimals(o.decimals);
  if (o.min !== undefined) panel.min(o.min);
  if (o.max !== undefined) panel.max(o.max);
  if (o.mappings) panel.mappings(o.mappings);
  if (o.thresholds) panel.thresholds(o.thresholds);
  return panel;
}

/** Links, data links and the place on the grid, last. */
function tail<P extends AnyPanel>(panel: P, o: PanelOptions): P {
  if (o.links) panel.links(o.links);
  if (o.dataLinks) panel.dataLinks(o.dataLinks);
  panel.gridPos(o.gridPos);
  return panel;
}

/** A graph over time; `dashed` draws the thresholds as dashed lines. */
export function timeseries(o: PanelOptions & { dashed?: boolean }): TimeSeries {
  const panel = fields(head(new TimeSeries(), o), o);
  if (o.dashed)
    panel.thresholdsStyle(
      new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed),
    );
  return tail(panel, o);
}

/** Stats and bar gauges show each series' last value. */
const lastValue = () => new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false);

/** One big number per series: its last value. */
export function stat(o: PanelOptions): Stat {
  return tail(fields(head(new Stat(), o), o).reduceOptions(lastValue()), o);
}

/** Horizontal bars, one per series, at its last value. */
export function barGauge(o: PanelOptions & { displayMode: BarGaugeDisplayMode }): BarGauge {
  const panel = fields(head(new BarGauge(), o), o)
    .displayMode(o.displayMode)
    .orientation(VizOrientation.Horizontal)
    .reduceOptions(lastValue());
  return tail(panel, o);
}

/** Rows of an instant query (`query(…, { instant: true, table: true })`). */
export function table(o: PanelOptions & { sortBy?: TableSortByFieldStateBuilder[] }): Table {
  const panel = head(new Table(), o);
  if (o.sortBy) panel.sortBy(o.sortBy);
  return tail(fields(panel, o), o);
}

/** Each series' value as coloured bands over time. */
export function stateTimeline(o: PanelOptions): StateTimeline {
  return tail(fields(head(new StateTimeline(), o), o), o);
}

/** Words and colours for a 0/1 series: `zeroOne(['off', 'green'], ['ENGAGED', 'red'])`. */
export function zeroOne(zero: [string, string], one: [string, string]): ValueMapping[] {
  return [
    {
      type: MappingType.ValueToText,
      options: {
        '0': { text: zero[0], color: zero[1] },
        '1': { text: one[0], color: one[1] },
      },
    },
  ];
}

/** Merges a table's queries into one row per label set, its value columns renamed. */
export function mergedColumns(renameByName: Record<string, string>): DataTransformerConfig[] {
  return [
    { id: 'merge', options: {} },
    { id: 'organize', options: { excludeByName: { Time: true }, renameByName } },
  ];
}
