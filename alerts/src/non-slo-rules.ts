/**
 * The alerts no SLO expresses: the exporter itself gone, a class gone silent, Kafka ingest
 * falling behind, actuation switched off, the audit chain broken, telemetry rejected en masse.
 * Thresholds come from config.yaml's `nonSlo`.
 */
import { parseDuration } from './duration.js';
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
      for: '5m',
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
  ];
}

export function nonSloRuleGroups(config: AlertsConfig): RuleGroup[] {
  const rules: AlertingRule[] = nonSloAlerts(config).map((a) => {
    const rule: AlertingRule = {
      alert: a.alert,
      expr: a.expr,
      ...(a.for === '0' ? {} : { for: a.for }),
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
