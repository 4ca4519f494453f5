/**
 * The alerts no SLO expresses: the exporter itself gone, a class gone silent, Kafka ingest
 * falling behind, actuation switched off, the audit chain broken, telemetry rejected en masse;
 * the exporter running out of resources (seed F4), attempts on the write channel (F3), version
 * and schema skew (F5), predictions from unvetted model versions (M6).
 * Thresholds come from config.yaml's `nonSlo`.
 */
import { parseDuration } from '../../exporter/src/config/duration.js';
import type { AlertingRule, RuleGroup } from './rules.js';
import { dashboardUrl } from './slo-rules.js';
import type { AlertsConfig } from './spec.js';

interface NonSloAlert {
  alert: string;
  expr: string;
  for: string;
  severity: 'page' | 'ticket';
  summary: string;
  description: string;
  runbook: string;
  dashboard: string;
  /** Labels the alert carries from its expression, passed to the dashboard as variables. */
  by: string[];
}

export function nonSloAlerts(config: AlertsConfig): NonSloAlert[] {
  const c = config.nonSlo;
  const job = `job="${config.exporterJob}"`;
  const ratioPercent = `${Math.round(c.ingestRejectRatio * 1e6) / 1e4}%`;
  return [
    {
      alert: 'TwinExporterDown',
      expr: `up{${job}} == 0`,
      for: c.exporterDownFor,
      severity: 'page',
      summary: 'twinops exporter {{ $labels.instance }} is down: every twin SLI is blind',
      description:
        'Prometheus has failed to scrape {{ $labels.instance }} (job {{ $labels.job }}) for ' +
        `${c.exporterDownFor} (up = {{ $value }}). No SLO alert can fire while it is down.`,
      runbook: 'exporter-down.md',
      dashboard: 'twinops-debug',
      by: ['instance'],
    },
    {
      alert: 'TwinExporterNotScraped',
      expr: `absent(up{${job}})`,
      for: c.exporterDownFor,
      severity: 'page',
      summary: `No Prometheus target for job ${config.exporterJob}: the exporter is not scraped`,
      description:
        `Prometheus has had no target in job ${config.exporterJob} for ${c.exporterDownFor} ` +
        '(absent = {{ $value }}): service discovery or the scrape config lost the exporter, and ' +
        'every twin SLI is blind.',
      runbook: 'exporter-down.md',
      dashboard: 'twinops-debug',
      by: [],
    },
    {
      alert: 'TwinTelemetryAbsent',
      expr:
        `sum by (asset_class) (increase(twin_points_total{source="physical"}[${c.telemetryAbsentWindow}])) == 0\n` +
        `and on (asset_class)\nsum by (asset_class) (twin_assets) > 0`,
      // Shorter than the freshness fast page (parseConfig checks it): the cause pages first and
      // Alertmanager inhibits the symptom. twin_assets counts dark assets (silent past the
      // retention) until they are retired, so a dark class keeps this alert firing.
      for: c.telemetryAbsentFor,
      severity: 'page',
      summary: 'No physical telemetry for asset class {{ $labels.asset_class }}',
      description:
        `Not one physical point arrived for asset class {{ $labels.asset_class }} in the last ` +
        `${c.telemetryAbsentWindow} ({{ $value }} points), though the twin holds assets of that ` +
        'class: its twins show stale state and its freshness SLO is burning.',
      runbook: 'telemetry-absent.md',
      dashboard: 'twinops-oncall',
      by: ['asset_class'],
    },
    {
      alert: 'TwinKafkaConsumerLagGrowing',
      expr:
        `sum by (topic) (twin_exporter_kafka_consumer_lag) > ${c.kafkaLagMessages}\n` +
        `and\nsum by (topic) (deriv(twin_exporter_kafka_consumer_lag[${c.kafkaLagWindow}])) > 0`,
      for: c.kafkaLagWindow,
      severity: 'ticket',
      summary: 'Exporter Kafka consumer lag on {{ $labels.topic }} is large and growing',
      description:
        'The exporters are {{ $value }} messages behind on {{ $labels.topic }} (more than ' +
        `${c.kafkaLagMessages}), and the lag has grown over the last ${c.kafkaLagWindow}: ingest ` +
        'is slower than the fleet; sync latency will follow.',
      runbook: 'kafka-consumer-lag.md',
      dashboard: 'twinops-debug',
      by: ['topic'],
    },
    {
      alert: 'TwinActuationKillSwitchEngaged',
      expr: 'max by (scope) (twin_command_kill_switch_engaged) == 1',
      for: '1m',
      severity: 'ticket',
      summary: 'Actuation kill switch engaged for {{ $labels.scope }}: no command reaches assets',
      description:
        'The command gateway refuses every command for scope {{ $labels.scope }} ' +
        '(twin_command_kill_switch_engaged = {{ $value }}). Intended during an incident; make ' +
        'sure someone owns releasing it.',
      runbook: 'kill-switch-engaged.md',
      dashboard: 'twinops-oncall',
      by: ['scope'],
    },
    {
      alert: 'TwinAuditChainInvalid',
      expr: 'min by (instance) (twin_command_audit_chain_valid) == 0',
      for: '0',
      severity: 'page',
      summary: 'Command audit chain verification failed on {{ $labels.instance }}',
      description:
        'The hash chain of the command audit log on {{ $labels.instance }} does not verify ' +
        '(twin_command_audit_chain_valid = {{ $value }}): a row was edited or removed. Treat as ' +
        'a security incident.',
      runbook: 'audit-chain-invalid.md',
      dashboard: 'twinops-debug',
      by: ['instance'],
    },
    {
      alert: 'TwinAuditChainNotVerified',
      expr: `time() - max by (instance) (twin_command_audit_chain_verified_timestamp_seconds) > ${parseDuration(c.auditVerifiedWithin) / 1000}`,
      for: '5m',
      severity: 'ticket',
      summary: 'Command audit chain on {{ $labels.instance }} not verified recently',
      description:
        'The audit chain on {{ $labels.instance }} was last verified {{ $value | humanizeDuration }} ' +
        `ago, more than ${c.auditVerifiedWithin}; the exporter verifies it every 5 minutes.`,
      runbook: 'audit-chain-invalid.md',
      dashboard: 'twinops-debug',
      by: ['instance'],
    },
    {
      alert: 'TwinIngestRejectsSpiking',
      expr:
        'sum by (reason) (rate(twin_exporter_ingest_rejected_points_total[5m]))\n' +
        '/ ignoring (reason) group_left ()\n' +
        '(\n' +
        '  (sum(rate(twin_exporter_ingest_points_total[5m])) or vector(0))\n' +
        '  + sum(rate(twin_exporter_ingest_rejected_points_total[5m]))\n' +
        `)\n> ${c.ingestRejectRatio}`,
      for: '10m',
      severity: 'ticket',
      summary:
        'Ingest rejects {{ $labels.reason }} points: {{ $value | humanizePercentage }} of all',
      description:
        '{{ $value | humanizePercentage }} of the points received over 5 minutes were rejected ' +
        `for {{ $labels.reason }} (threshold ${ratioPercent}): a sender breaks the telemetry ` +
        'conventions, and those assets are missing from their twins.',
      runbook: 'ingest-rejects.md',
      dashboard: 'twinops-debug',
      by: ['reason'],
    },
    ...resourceAlerts(config),
    ...writeChannelAlerts(config),
    {
      alert: 'TwinModelCoverageLow',
      // A model with no vetted prediction at all has no vetted series: count it as 0, not absent.
      expr:
        '(\n' +
        '  sum by (model) (rate(twin_model_predictions_total{vetted="true"}[1h]))\n' +
        '  or\n' +
        '  0 * sum by (model) (rate(twin_model_predictions_total[1h]))\n' +
        ')\n' +
        '/\nsum by (model) (rate(twin_model_predictions_total[1h]))\n' +
        `< ${c.modelCoverageTarget}`,
      for: '15m',
      severity: 'ticket',
      summary: 'Model {{ $labels.model }}: predictions from unvetted versions',
      description:
        '{{ $value | humanizePercentage }} of the predictions of model {{ $labels.model }} over ' +
        `the last hour came from vetted versions, below the ${c.modelCoverageTarget * 100}% target: ` +
        'a version not in the registry (a canary, a rollback to a retired version) serves the twin.',
      runbook: 'model-coverage.md',
      dashboard: 'twinops-debug',
      by: ['model'],
    },
  ];
}

/** Seed F4: the exporter itself running out of memory, event loop, patience or queue. */
function resourceAlerts(config: AlertsConfig): NonSloAlert[] {
  const c = config.nonSlo;
  const job = `job="${config.exporterJob}"`;
  const resource = (
    alert: string,
    expr: string,
    summary: string,
    description: string,
  ): NonSloAlert => ({
    alert,
    expr,
    for: c.resourceFor,
    severity: 'ticket',
    summary,
    description,
    runbook: 'exporter-resources.md',
    dashboard: 'twinops-debug',
    by: ['instance'],
  });
  return [
    resource(
      'TwinExporterMemoryHigh',
      `max by (instance) (twin_exporter_process_resident_memory_bytes{${job}}) > ${c.exporterMemoryMiB * 1024 * 1024}`,
      'Exporter {{ $labels.instance }} holds {{ $value | humanize1024 }}B of memory',
      `The exporter's resident memory has stayed above ${c.exporterMemoryMiB} MiB for ` +
        `${c.resourceFor} ({{ $value | humanize1024 }}B): an out-of-memory kill would blind every ` +
        'SLI. Growing fleet, quarantine filling, or a leak.',
    ),
    resource(
      'TwinExporterEventLoopLagging',
      `max by (instance) (twin_exporter_nodejs_eventloop_lag_p99_seconds{${job}}) > ${c.eventLoopLagSeconds}`,
      'Exporter {{ $labels.instance }} event loop lags {{ $value | humanizeDuration }} (p99)',
      `The exporter's event-loop delay p99 has stayed above ${c.eventLoopLagSeconds} s for ` +
        `${c.resourceFor} ({{ $value | humanizeDuration }}): every request, scrape and command waits that long; sync latency and ` +
        'the API will follow.',
    ),
    {
      ...resource(
        'TwinExporterRestarting',
        `changes(twin_exporter_process_start_time_seconds{${job}}[1h]) >= ${c.restartsPerHour}`,
        'Exporter {{ $labels.instance }} restarted {{ $value }} times in an hour',
        `The exporter process started again {{ $value }} times within the last hour (at least ` +
          `${c.restartsPerHour}): out-of-memory kills or a crash loop. Each restart replays the ` +
          'journal and leaves gaps in the SLIs.',
      ),
      for: '0',
      severity: 'page',
    },
    resource(
      'TwinIngestBacklog',
      `max by (instance) (sum without (transport) (twin_exporter_ingest_queue_depth{${job}})) > ${c.ingestQueueDepth}`,
      'Exporter {{ $labels.instance }} has {{ $value }} ingest requests waiting',
      `More than ${c.ingestQueueDepth} requests or Kafka batches have waited to be applied for ` +
        `${c.resourceFor} ({{ $value }} now): the exporter is at its capacity; senders get 429 and retry, sync ` +
        'latency grows.',
    ),
    resource(
      'TwinCommandOutboxBacklog',
      `max by (instance) (twin_command_outbox_depth{${job}}) > ${c.outboxDepth}`,
      'Exporter {{ $labels.instance }} holds {{ $value }} accepted commands not yet dispatched',
      `More than ${c.outboxDepth} accepted commands have waited for dispatch for ` +
        `${c.resourceFor} ({{ $value }} now): the devices' transport is down or a kill switch holds them; they time ` +
        'out unsent after the ack timeout.',
    ),
  ];
}

/**
 * Seed F3 (attempts on the write channel) and F5 (version skew): counted over `attemptsWindow`.
 * The exporter counts unauthenticated attempts without storing them, so this is where they show.
 */
function writeChannelAlerts(config: AlertsConfig): NonSloAlert[] {
  const c = config.nonSlo;
  const w = c.attemptsWindow;
  return [
    {
      alert: 'TwinCommandForbiddenAttempts',
      expr: `sum by (guard) (increase(twin_command_refusals_total{code="forbidden"}[${w}])) >= ${c.forbiddenAttempts}`,
      for: '0',
      severity: 'page',
      summary: '{{ $value }} commands refused as forbidden in the last ' + w,
      description:
        `Authenticated callers tried {{ $value }} commands their roles do not allow in the last ${w} ` +
        `(at least ${c.forbiddenAttempts}; guard {{ $labels.guard }}): a misconfigured client or ` +
        'someone probing the write channel with real credentials. The audit log names who.',
      runbook: 'command-access.md',
      dashboard: 'twinops-oncall',
      by: [],
    },
    {
      alert: 'TwinCommandUnauthenticatedAttempts',
      expr: `sum by (route, reason) (increase(twin_command_unauthenticated_total[${w}])) > ${c.unauthenticatedAttempts}`,
      for: '0',
      severity: 'ticket',
      summary: '{{ $value }} unauthenticated writes to {{ $labels.route }} ({{ $labels.reason }})',
      description:
        `{{ $value }} writes to {{ $labels.route }} without valid credentials in the last ${w} ` +
        `(more than ${c.unauthenticatedAttempts}), reason {{ $labels.reason }}: an expired or ` +
        'rotated token in a client, or someone trying the door. They cost O(1) and are not stored.',
      runbook: 'command-access.md',
      dashboard: 'twinops-oncall',
      by: [],
    },
    {
      alert: 'TwinCommandVersionMismatch',
      expr: `sum (increase(twin_command_refusals_total{code="version_mismatch"}[${w}])) > ${c.versionMismatchRefusals}`,
      for: '0',
      severity: 'ticket',
      summary: '{{ $value }} commands refused for a twin state version that moved on',
      description:
        `{{ $value }} commands in the last ${w} (more than ${c.versionMismatchRefusals}) named a ` +
        'state version their asset had already left: consoles or clients act on stale state ' +
        '(version skew between what they show and the twin).',
      runbook: 'version-skew.md',
      dashboard: 'twinops-oncall',
      by: [],
    },
    {
      alert: 'TwinSchemaRejections',
      expr: `sum by (reason) (increase(twin_exporter_ingest_rejected_points_total{reason=~"${schemaReasons.join('|')}"}[${w}])) > ${c.schemaRejectedPoints}`,
      for: '0',
      severity: 'ticket',
      summary:
        '{{ $value }} points rejected for {{ $labels.reason }}: a sender speaks another schema',
      description:
        `{{ $value }} points in the last ${w} (more than ${c.schemaRejectedPoints}) broke the ` +
        'telemetry conventions with {{ $labels.reason }}: a sender on another schema version ' +
        '(renamed or missing attributes). Those points are not in the twin, whatever their share.',
      runbook: 'version-skew.md',
      dashboard: 'twinops-debug',
      by: ['reason'],
    },
  ];
}

/** The exporter's reject reasons that mean a sender speaks another version of the conventions. */
export const schemaReasons = [
  'missing_asset_id',
  'missing_asset_class',
  'missing_property',
  'missing_model',
  'bad_attribute',
  'unknown_source',
  'unsupported_value',
  'unsupported_metric_type',
];

export function nonSloRuleGroups(config: AlertsConfig): RuleGroup[] {
  const rules: AlertingRule[] = nonSloAlerts(config).map((a) => {
    const rule: AlertingRule = {
      alert: a.alert,
      expr: a.expr,
      ...(parseDuration(a.for) === 0 ? {} : { for: a.for }),
      labels: { severity: a.severity },
      annotations: {
        summary: a.summary,
        description: a.description,
        runbook_url: `${config.links.runbooks}/${a.runbook}`,
        dashboard_url: dashboardUrl(config, a.dashboard, {}, a.by),
      },
    };
    return rule;
  });
  return [{ name: 'twinops-exporter-alerts', rules }];
}
