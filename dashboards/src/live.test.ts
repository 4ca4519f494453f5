/**
 * Live: every query of every panel (and every variable and annotation query) runs against a real
 * Prometheus scraping a real exporter, fed by the fleet simulator, with the SLO recording rules
 * and alerts of alerts/generated/ loaded; each must return at least one series. Also: every
 * metric a query names is one the exporter exposes (its /metrics) or a recording rule records,
 * and every label a query matches or groups by exists on it.
 *
 * The rig: a Kafka broker (telemetry ingest, so the consumer-lag panel has a partition to show,
 * and commands to the reference device agent, so actuation has real failures: a refusing device
 * and a silent one); the exporter as a process with commands and per-asset series on; the
 * simulator with a mid-run model version (rollout annotation), a drifting valve and a skewed
 * clock; two waves of commands, rejected points and a malformed request; then a kill switch, so
 * the firing-alerts panel shows TwinActuationKillSwitchEngaged once its `for: 1m` has passed.
 * Classification predictions (one of each confusion matrix cell per wave) feed the precision,
 * recall and F1 panel. Every wait is for a condition; the per-panel report goes to the console and
 * dashboards/.artifacts/live-report.{md,json}. Last, the executive's SLO numbers and the on-call
 * dashboard's error budgets, queried at the same instant, must agree for every SLO and class.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topics } from '../../contracts/commands.js';
import { startDeviceAgent, type DeviceAgent } from '../../device-agent/index.js';
import {
  startKafka,
  startPrometheus,
  waitFor,
  type KafkaBroker,
  type PrometheusServer,
} from '../../test/bed/index.js';
import { defaultClasses, startSimulation, type SimulationHandle } from '../../simulator/index.js';
import { startExporterProcess, type ExporterProcess } from '../../test/support/exporter-process.js';
import { buildDashboards, dashboardsDir } from './dashboards.js';
import { parseLabelValues, parseQuery } from './promql.js';
import { periodsOf } from './common.js';
import { queriesOf, type PanelQuery } from './queries.js';
import { generatedRuleFiles, loadDashboardSpecs } from './specs.js';

const specs = loadDashboardSpecs();
const operatorToken = 'operator-token-dashboards-0123';
const adminToken = 'admin-token-dashboards-456789';
const modelRollout = '1.5.0-rc1';
const telemetryTopic = 'twin.telemetry.metrics';
/** The assets commands go to, and the outcome the device agent's mode gives each. */
const commanded = [
  ['pump-1', 'pump', 'applied'],
  ['valve-2', 'valve', 'rejected_by_device'],
  ['conveyor-3', 'conveyor', 'timed_out'],
] as const;
/** The production rule files: every SLO's rules and the non-SLO alerts. */
const ruleFiles = generatedRuleFiles();
/** A classification model (fault or not) and, per wave, one prediction of each matrix cell. */
const classifier = { name: 'pump-fault-classifier', version: '1.0.0' };
const classified = [
  ['pump-1', 1, 1], // tp
  ['pump-2', 1, 0], // fp
  ['pump-3', 0, 1], // fn
  ['pump-4', 0, 0], // tn
] as const;

interface Outcome {
  query: PanelQuery;
  promql: string;
  series: number;
  error?: string;
}

describe('live: every dashboard query returns data from a real exporter', () => {
  const work = mkdtempSync(join(tmpdir(), 'twinops-dashboards-live-'));
  let broker: KafkaBroker;
  let exporter: ExporterProcess;
  let agent: DeviceAgent;
  let prometheus: PrometheusServer;
  let sim: SimulationHandle | undefined;
  let startedAt = 0;

  beforeAll(async () => {
    broker = await startKafka({
      topics: [
        { topic: telemetryTopic, numPartitions: 2 },
        { topic: topics.commands, numPartitions: 1 },
        { topic: topics.acks, numPartitions: 1 },
      ],
    });
    const setpoint = {
      risk: 'low',
      description: 'Set the asset’s setpoint (a property the simulator does not send).',
      params: {
        type: 'object',
        additionalProperties: false,
        required: ['value'],
        properties: { value: { type: 'number' } },
      },
      sets: { property: 'setpoint', param: 'value' },
      envelope: { min: 0, max: 100 },
    };
    exporter = await startExporterProcess(
      {
        ingest: {
          kafka: {
            enabled: true,
            brokers: [broker.bootstrap],
            topics: [{ name: telemetryTopic, signal: 'metrics', encoding: 'otlp_json' }],
          },
        },
        state: { snapshot: { path: join(work, 'state.db'), interval: '1s' } },
        sli: {
          syncLatencyThresholdsSeconds: [1, 5, 30],
          convergenceThresholdsSeconds: [10, 60, 300],
          evaluationInterval: '1s',
          freshness: { staleAfter: '5s' },
          divergence: {
            grace: '2s',
            rules: defaultClasses.flatMap((c) =>
              c.properties.map((p) => ({
                assetClass: c.name,
                property: p.name,
                tolerance: { kind: 'absolute', epsilon: p.tolerance },
              })),
            ),
          },
          prediction: {
            rules: [
              ...defaultClasses.flatMap((c) =>
                c.properties.map((p) => ({
                  kind: 'regression',
                  property: p.name,
                  model: c.model.name,
                  tolerance: { kind: 'absolute', epsilon: p.tolerance },
                })),
              ),
              { kind: 'classification', property: 'fault', model: classifier.name, positive: 1 },
            ],
          },
          vettedModels: [...defaultClasses.map((c) => c.model), classifier],
        },
        metrics: { perAsset: { enabled: true, maxAssets: 100 } },
        commands: {
          enabled: true,
          ledgerPath: join(work, 'commands.db'),
          devices: 'kafka',
          ackTimeout: '3s',
          convergenceTimeout: '3s',
          maxStateAge: '1m',
          catalog: Object.fromEntries(
            defaultClasses.map((c) => [c.name, { setSetpoint: setpoint }]),
          ),
        },
      },
      {
        env: {
          TWINOPS_API_TOKENS: `olga:operator:${operatorToken},ada:admin:${adminToken}`,
        },
      },
    );
    agent = await startDeviceAgent({
      brokers: [broker.bootstrap],
      otlpEndpoint: exporter.otlpUrl,
      // The commanded assets' setpoints, reported every second: the freshness interlock refuses
      // a command on a property the twin has no fresh physical value of.
      reportEveryMs: 1_000,
      initialValues: commanded.map(([assetId, assetClass]) => ({
        assetId,
        assetClass,
        values: { setpoint: 10 },
      })),
      modes: { 'valve-2': 'refuse', 'conveyor-3': 'silent' },
    });
    prometheus = await startPrometheus({
      scrapeInterval: '1s',
      evaluationInterval: '1s',
      ruleFiles,
      scrapeConfigs: [
        { job_name: specs.exporterJob, static_configs: [{ targets: [exporter.metricsTarget] }] },
      ],
    });
    startedAt = Date.now();
    sim = startSimulation({
      endpoint: exporter.otlpUrl,
      assets: 12,
      tickMs: 1_000,
      seed: 5,
      scenarios: [
        // A new, unvetted model version for the pumps from 15 s: a rollout to annotate.
        { kind: 'regression', targets: ['pump'], version: modelRollout, fromMs: 15_000 },
        { kind: 'drift', targets: ['valve-4'], fromMs: 5_000 },
        { kind: 'skew', targets: ['conveyor-4'], skewMs: 2_000 },
      ],
    });
  }, 300_000);

  afterAll(async () => {
    await sim?.stop();
    await agent?.stop();
    await prometheus?.stop();
    await exporter?.stop();
    await broker?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  const api = async (method: string, path: string, token: string, body?: unknown) => {
    const response = await fetch(`${exporter.apiUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  };
  const submit = (assetId: string, value: number) =>
    api('POST', '/api/v1/commands', operatorToken, {
      idempotencyKey: randomUUID(),
      assetId,
      name: 'setSetpoint',
      params: { value },
      reason: 'dashboards live test',
    });
  const outcomeOf = (id: string) =>
    waitFor(`command ${id} to reach an outcome`, async () => {
      const { body } = await api('GET', `/api/v1/commands/${id}`, operatorToken);
      return (body.outcome as string | undefined) ?? undefined;
    });
  const otlpPoint = (assetId: string, attributes: Record<string, string>) => ({
    resourceMetrics: [
      {
        resource: {
          attributes: Object.entries({ 'twin.asset.id': assetId, ...attributes }).map(
            ([key, v]) => ({
              key,
              value: { stringValue: v },
            }),
          ),
        },
        scopeMetrics: [
          {
            scope: { name: 'dashboards-live-test' },
            metrics: [
              {
                name: 'twin.value',
                gauge: {
                  dataPoints: [
                    {
                      timeUnixNano: `${BigInt(Date.now()) * 1_000_000n}`,
                      asDouble: 60,
                      attributes: [
                        { key: 'twin.source', value: { stringValue: 'physical' } },
                        { key: 'twin.property', value: { stringValue: 'temperature' } },
                      ],
                    },
                  ],
                },
              },
            ],
          },
        ],
      },
    ],
  });
  /** One gauge point of `property` for an asset of the simulated fleet (its class, its site kept). */
  const sendValue = async (
    assetId: string,
    assetClass: string,
    value: number,
    timeMs: number,
    attributes: Record<string, string>,
  ) => {
    const response = await fetch(`${exporter.otlpUrl}/v1/metrics`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        resourceMetrics: [
          {
            resource: {
              attributes: [
                { key: 'twin.asset.id', value: { stringValue: assetId } },
                { key: 'twin.asset.class', value: { stringValue: assetClass } },
              ],
            },
            scopeMetrics: [
              {
                scope: { name: 'dashboards-live-test' },
                metrics: [
                  {
                    name: 'twin.value',
                    gauge: {
                      dataPoints: [
                        {
                          timeUnixNano: `${BigInt(timeMs) * 1_000_000n}`,
                          asDouble: value,
                          attributes: Object.entries(attributes).map(([key, v]) => ({
                            key,
                            value: { stringValue: v },
                          })),
                        },
                      ],
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    });
    expect(response.status).toBe(200);
  };
  /** A prediction of `fault` for each classified pump, then the physical value that scores it. */
  const classify = async () => {
    const at = Date.now();
    for (const [asset, predicted] of classified) {
      await sendValue(asset, 'pump', predicted, at, {
        'twin.source': 'model',
        'twin.property': 'fault',
        'twin.model.name': classifier.name,
        'twin.model.version': classifier.version,
      });
    }
    for (const [asset, , actual] of classified) {
      await sendValue(asset, 'pump', actual, at, {
        'twin.source': 'physical',
        'twin.property': 'fault',
      });
    }
  };
  const prom = async (path: string) => {
    const response = await fetch(`${prometheus.url}${path}`);
    const body = (await response.json()) as { status: string; error?: string; data: unknown };
    if (body.status !== 'success') throw new Error(body.error ?? `HTTP ${response.status}`);
    return body.data;
  };
  const scalar = async (promql: string) =>
    Number((await prometheus.query(promql))[0]?.value[1] ?? Number.NaN);

  /** One wave: commands with every outcome, a refused one, rejected points, a malformed request, a Kafka message. */
  const wave = async (n: number) => {
    const ids: string[] = [];
    for (const [asset] of commanded) {
      const { status, body } = await submit(asset, 40 + n);
      expect(status, JSON.stringify(body)).toBe(200);
      ids.push((body.command as { id: string }).id);
    }
    const refused = await submit('pump-2', 500);
    expect(refused.status).toBe(422);
    // A stranger's submission: refused before its body is read, counted, never audited.
    const stranger = await fetch(`${exporter.apiUrl}/api/v1/commands`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(stranger.status).toBe(401);
    // A point without an asset class (rejected), and a body that is not protobuf (refused).
    const bad = await fetch(`${exporter.otlpUrl}/v1/metrics`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(otlpPoint('pump-x', {})),
    });
    expect(bad.status).toBe(200);
    const malformed = await fetch(`${exporter.otlpUrl}/v1/metrics`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-protobuf' },
      body: 'this is not protobuf',
    });
    expect(malformed.status).toBe(400);
    process.env.KAFKAJS_NO_PARTITIONER_WARNING = '1';
    const producer = broker.client('dashboards-live-test').producer();
    await producer.connect();
    await producer.send({
      topic: telemetryTopic,
      messages: [
        {
          key: 'kafka-pump-1',
          value: JSON.stringify(
            otlpPoint('kafka-pump-1', { 'twin.asset.class': 'pump', 'twin.site': 'site-k' }),
          ),
        },
      ],
    });
    await producer.disconnect();
    await classify();
    return Promise.all(ids.map(outcomeOf));
  };

  it('drives the fleet, two waves of commands and a kill switch', async () => {
    await waitFor(
      'the simulated fleet in the twin',
      async () => {
        const { body } = await api('GET', '/api/v1/assets?limit=100', operatorToken);
        return (body.total as number) >= 12 ? true : undefined;
      },
      60_000,
    );
    await waitFor('the commanded assets’ setpoints in the twin', async () => {
      for (const [asset] of commanded) {
        const { body } = await api('GET', `/api/v1/assets/${asset}`, operatorToken);
        const properties = (body.properties ?? []) as { property: string }[];
        if (!properties.some((p) => p.property === 'setpoint')) return undefined;
      }
      return true;
    });
    const outcomes = commanded.map(([, , outcome]) => outcome);
    expect(await wave(1)).toEqual(outcomes);
    // Prometheus must see the first wave's counters before the second increases them.
    await waitFor('wave 1 outcomes in Prometheus', async () =>
      (await scalar('count(twin_command_outcomes_total)')) >= 3 ? true : undefined,
    );
    expect(await wave(2)).toEqual(outcomes);
    await waitFor('wave 2 outcomes in Prometheus', async () =>
      (await scalar('sum(twin_command_outcomes_total)')) >= 6 ? true : undefined,
    );
    const kill = await api('PUT', '/api/v1/kill-switch', adminToken, {
      engaged: true,
      assetClass: 'conveyor',
      reason: 'dashboards live test: an alert to show as firing',
    });
    expect(kill.status).toBe(200);
  }, 240_000);

  it('every metric and label a query names exists on the exporter or a recording rule', async () => {
    const labels = new Map<string, Set<string>>();
    const add = (name: string, names: Iterable<string>) => {
      const set = labels.get(name) ?? new Set<string>();
      for (const n of names) set.add(n);
      labels.set(name, set);
    };
    // The exporter's own exposition, plus the target labels Prometheus adds.
    const text = await (await fetch(`${exporter.metricsUrl}/metrics`)).text();
    for (const line of text.split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
      if (!m) continue;
      add(m[1]!, [
        'job',
        'instance',
        ...[...(m[2] ?? '').matchAll(/([a-zA-Z_]\w*)="/g)].map((x) => x[1]!),
      ]);
    }
    const exporterMetrics = new Set(labels.keys());
    // Recording rules: their names from the rule files, their labels from what Prometheus recorded.
    const recorded = new Set<string>();
    const alertRules: { expr: string; labels?: Record<string, string> }[] = [];
    for (const file of ruleFiles) {
      const doc = parse(readFileSync(file, 'utf8')) as {
        groups: {
          rules: {
            record?: string;
            alert?: string;
            expr: string;
            labels?: Record<string, string>;
          }[];
        }[];
      };
      for (const rule of doc.groups.flatMap((g) => g.rules)) {
        if (rule.record) recorded.add(rule.record);
        if (rule.alert) alertRules.push(rule);
      }
    }
    for (const name of recorded) {
      const series = await waitFor(`series recorded as ${name}`, async () => {
        const found = (await prom(`/api/v1/series?match[]=${encodeURIComponent(name)}`)) as Record<
          string,
          string
        >[];
        return found.length ? found : undefined;
      });
      for (const s of series)
        add(
          name,
          Object.keys(s).filter((k) => k !== '__name__'),
        );
    }
    add('up', ['job', 'instance']);
    // ALERTS carries each alert's own labels and those of the series its expression returns.
    const alertLabels = new Set(['alertname', 'alertstate']);
    for (const rule of alertRules) {
      const shape = parseQuery(rule.expr);
      for (const l of Object.keys(rule.labels ?? {})) alertLabels.add(l);
      for (const l of shape.groupingLabels) alertLabels.add(l);
      for (const sel of shape.selectors)
        for (const l of labels.get(sel.metric) ?? []) alertLabels.add(l);
    }
    add('ALERTS', alertLabels);
    // ALERTS_FOR_STATE: the same series without alertstate, valued at the time it became active.
    add(
      'ALERTS_FOR_STATE',
      [...alertLabels].filter((l) => l !== 'alertstate'),
    );

    const problems: string[] = [];
    const queries = [...buildDashboards(specs).values()].flatMap(queriesOf);
    for (const q of queries) {
      const lv = q.kind === 'variable' ? parseLabelValues(q.expr) : undefined;
      const shape = parseQuery(lv ? lv.selector : q.expr);
      const where = `${q.dashboard} / ${q.title} (${q.refId})`;
      const known = new Set<string>();
      for (const s of shape.selectors) {
        if (
          !exporterMetrics.has(s.metric) &&
          !recorded.has(s.metric) &&
          s.metric !== 'up' &&
          s.metric !== 'ALERTS' &&
          s.metric !== 'ALERTS_FOR_STATE'
        ) {
          problems.push(`${where}: ${s.metric} is neither exported nor recorded`);
          continue;
        }
        const have = labels.get(s.metric) ?? new Set<string>();
        for (const l of have) known.add(l);
        for (const m of s.matchers) {
          if (!have.has(m.label)) problems.push(`${where}: ${s.metric} has no label ${m.label}`);
        }
      }
      for (const l of [...shape.groupingLabels, ...(lv ? [lv.label] : [])]) {
        if (
          !known.has(l) &&
          !(l === 'le' && shape.selectors.some((s) => s.metric.endsWith('_bucket')))
        )
          problems.push(`${where}: no metric in the query has label ${l}`);
      }
    }
    expect(problems).toEqual([]);
    console.log(
      `static check: ${queries.length} queries, ${new Set(queries.flatMap((q) => parseQuery(parseLabelValues(q.expr)?.selector ?? q.expr).selectors.map((s) => s.metric))).size} distinct metrics, all exported or recorded, every label present`,
    );
  }, 60_000);

  it('every panel, variable and annotation query returns at least one series', async () => {
    const queries = [...buildDashboards(specs).values()].flatMap(queriesOf);
    const substitute = (expr: string, rangeSeconds: number) =>
      expr
        .replaceAll('$__rate_interval', '1m')
        .replaceAll('$__range', `${rangeSeconds}s`)
        .replace(/\$\{?([A-Za-z_]\w*)\}?/g, '.*');

    const run = async (q: PanelQuery): Promise<Outcome> => {
      const end = Date.now() / 1000;
      const start = startedAt / 1000;
      const range = Math.ceil(end - start);
      const promql = substitute(q.expr, range);
      try {
        if (q.kind === 'variable') {
          const lv = parseLabelValues(promql)!;
          const values = (await prom(
            `/api/v1/label/${lv.label}/values?match[]=${encodeURIComponent(lv.selector)}&start=${start}&end=${end}`,
          )) as string[];
          return { query: q, promql, series: values.length };
        }
        if (q.instant) {
          const result = (await prom(
            `/api/v1/query?query=${encodeURIComponent(promql)}&time=${end}`,
          )) as {
            result: unknown[];
          };
          return { query: q, promql, series: result.result.length };
        }
        const step = q.step ? q.step : '2s';
        const result = (await prom(
          `/api/v1/query_range?query=${encodeURIComponent(promql)}&start=${start}&end=${end}&step=${step}`,
        )) as { result: unknown[] };
        return { query: q, promql, series: result.result.length };
      } catch (error) {
        return { query: q, promql, series: 0, error: (error as Error).message };
      }
    };

    // The firing-alerts panel: the kill switch engaged above fires after its `for: 1m`.
    const firing = await waitFor(
      'TwinActuationKillSwitchEngaged firing',
      async () => {
        const alerts = await prometheus.query('ALERTS{alertstate="firing"}');
        return alerts.some((a) => a.metric.alertname === 'TwinActuationKillSwitchEngaged')
          ? alerts.map((a) => a.metric.alertname).sort()
          : undefined;
      },
      150_000,
      1_000,
    );
    console.log(`firing alerts: ${firing.join(', ')}`);

    // Retry what is still empty (a series may need another scrape or evaluation) until
    // everything has data or the deadline passes.
    const outcomes = new Map<PanelQuery, Outcome>();
    const deadline = Date.now() + 60_000;
    for (;;) {
      for (const q of queries) {
        if ((outcomes.get(q)?.series ?? 0) > 0) continue;
        outcomes.set(q, await run(q));
      }
      const empty = [...outcomes.values()].filter((o) => o.series === 0);
      if (!empty.length || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }

    const rows = queries.map((q) => outcomes.get(q)!);
    const report = rows.map((o) => ({
      dashboard: o.query.dashboard,
      kind: o.query.kind,
      panel: o.query.title,
      refId: o.query.refId,
      query: o.promql,
      series: o.series,
      ...(o.error ? { error: o.error } : {}),
    }));
    const artifacts = join(dashboardsDir, '.artifacts');
    mkdirSync(artifacts, { recursive: true });
    writeFileSync(join(artifacts, 'live-report.json'), `${JSON.stringify(report, null, 2)}\n`);
    const md = [
      `# Live dashboard queries (${new Date().toISOString()})`,
      '',
      `${rows.length} queries; ${rows.filter((r) => r.series > 0).length} with data. Firing alerts: ${firing.join(', ')}.`,
      'Variables substituted as "All" (`.*`), `$__rate_interval` as `1m`, `$__range` as the time since the fleet started;',
      'range queries from the start of the fleet to now at a 2 s step (annotations at their own step), instant ones at now.',
      '',
      '| dashboard | kind | panel | ref | series | query |',
      '|---|---|---|---|---|---|',
      ...report.map(
        (r) =>
          `| ${r.dashboard} | ${r.kind} | ${r.panel.replaceAll('|', '/')} | ${r.refId} | ${r.series} | \`${r.query.replaceAll('|', '\\|')}\` |`,
      ),
    ].join('\n');
    writeFileSync(join(artifacts, 'live-report.md'), `${md}\n`);
    console.log(
      report
        .map(
          (r) =>
            `${r.series.toString().padStart(4)}  ${r.dashboard.padEnd(18)} ${r.kind.padEnd(10)} ${r.panel} [${r.refId}]\n        ${r.query}${r.error ? `\n        ERROR ${r.error}` : ''}`,
        )
        .join('\n'),
    );
    console.log(
      `${rows.length} queries (${rows.filter((r) => r.query.kind === 'panel').length} panel targets, ${rows.filter((r) => r.query.kind === 'variable').length} variables, ${rows.filter((r) => r.query.kind === 'annotation').length} annotations), ${rows.filter((r) => r.series > 0).length} with data; report in dashboards/.artifacts/live-report.md`,
    );
    const empty = report
      .filter((r) => r.series === 0)
      .map(
        (r) =>
          `${r.dashboard} / ${r.panel} [${r.refId}]: ${r.query}${r.error ? ` (${r.error})` : ''}`,
      );
    expect(empty).toEqual([]);
  }, 300_000);

  it('the executive and on-call numbers of each SLO agree on the same data', async () => {
    const built = buildDashboards(specs);
    const target = (file: 'executive.json' | 'oncall.json', title: string) => {
      const found = queriesOf(built.get(file)!).find(
        (q) => q.kind === 'panel' && q.title === title,
      );
      if (!found) throw new Error(`${file}: no panel ${title}`);
      return found.expr;
    };
    const period = periodsOf(specs.slos);
    const exAttainment = target('executive.json', `SLO attainment (${period})`);
    const exBudget = target('executive.json', `Error budget remaining (${period})`);
    // The executive's SLI stats, each titled with its SLO's period.
    const periodOf = (name: string) => specs.slos.find((s) => s.name === name)!.period;
    const exSli: Record<string, string> = Object.fromEntries(
      (
        [
          ['actuation-success', 'Actuation success'],
          ['api-availability', 'Twin API availability'],
          ['prediction-accuracy', 'Prediction accuracy'],
        ] as const
      ).map(([name, title]) => [name, target('executive.json', `${title} (${periodOf(name)})`)]),
    );
    const ocBudget = target('oncall.json', 'Error budget remaining ($slo)');
    /** Grafana's variables bound: the given values, every other one "All" (`.*`). */
    const bind = (expr: string, values: Record<string, string> = {}) =>
      expr.replace(/\$\{?([A-Za-z_]\w*)\}?/g, (_, name: string) => values[name] ?? '.*');
    const close = (a: number, b: number) =>
      (Number.isNaN(a) && Number.isNaN(b)) ||
      Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

    const compared: string[] = [];
    const problems: string[] = [];
    for (const slo of specs.slos) {
      // One instant for both dashboards: this SLO's last rule evaluation, so the executive's sums
      // and the on-call recordings read the same samples.
      const samples = await prometheus.samples(
        `twinops_slo:error_budget_remaining:ratio{slo="${slo.name}"}[10s]`,
      );
      const at = Math.max(...samples.flatMap((s) => s.values.map(([t]) => t)));
      expect(Number.isFinite(at), `${slo.name}: no recorded budget`).toBe(true);
      const oncall = (await prometheus.query(bind(ocBudget), at)).filter(
        (r) => r.metric.slo === slo.name,
      );
      expect(oncall.length, slo.name).toBeGreaterThan(0);
      // The executive filters by class and model; a series it can single out is compared.
      const key = (m: Record<string, string>) => `${m.asset_class ?? ''}\u0000${m.model ?? ''}`;
      const sharing = new Map<string, number>();
      for (const r of oncall) sharing.set(key(r.metric), (sharing.get(key(r.metric)) ?? 0) + 1);
      for (const r of oncall) {
        if (sharing.get(key(r.metric))! > 1) continue;
        const values = {
          ...(r.metric.asset_class ? { asset_class: r.metric.asset_class } : {}),
          ...(r.metric.model ? { model: r.metric.model } : {}),
        };
        const where = `${slo.name} ${JSON.stringify(values)}`;
        const remaining = Number(r.value[1]);
        const one = async (expr: string) => {
          const result = await prometheus.query(bind(expr, values), at);
          const row = result.find((x) => (x.metric.slo ?? slo.name) === slo.name);
          return row ? Number(row.value[1]) : Number.NaN;
        };
        const attainment = await one(exAttainment);
        const budget = await one(exBudget);
        // On-call: budget remaining = 1 − error ratio ÷ error budget, so the executive's
        // attainment must be 1 − (1 − remaining) × error budget.
        const expected = 1 - (1 - remaining) * slo.errorBudget;
        if (!close(attainment, expected))
          problems.push(`${where}: executive attainment ${attainment}, on-call ${expected}`);
        if (!close(budget, remaining))
          problems.push(`${where}: executive budget ${budget}, on-call ${remaining}`);
        if (exSli[slo.name]) {
          const sli = await one(exSli[slo.name]!);
          if (!close(sli, attainment))
            problems.push(`${where}: executive SLI stat ${sli}, attainment ${attainment}`);
        }
        compared.push(`${where}: attainment ${attainment}, budget remaining ${remaining}`);
      }
    }
    console.log(`executive = on-call:\n  ${compared.join('\n  ')}`);
    expect(problems).toEqual([]);
    // Every SLO, and for the class SLOs more than one class.
    expect(new Set(compared.map((c) => c.split(' ')[0])).size).toBe(specs.slos.length);
    expect(compared.length).toBeGreaterThan(specs.slos.length);
  }, 60_000);
});
