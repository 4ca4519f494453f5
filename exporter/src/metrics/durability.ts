/**
 * The durable twin's metrics (prom-client): checkpoints (last success, duration, assets and bytes
 * written, failures), the journal (records, bytes, failures, waiting) and the last start's restore.
 */
import { Counter, Gauge, type Registry } from 'prom-client';

export type DurabilityMetrics = ReturnType<typeof durabilityMetrics>;

export function durabilityMetrics(registry: Registry) {
  const registers = [registry];
  return {
    snapshotLastSuccess: new Gauge({
      name: 'twin_exporter_snapshot_last_success_timestamp_seconds',
      help: 'When the last checkpoint of the twin state was committed.',
      registers,
    }),
    snapshotFailures: new Counter({
      name: 'twin_exporter_snapshot_failures_total',
      help: 'Checkpoints that could not be written (the next one writes their changes).',
      registers,
    }),
    snapshotSeconds: new Gauge({
      name: 'twin_exporter_snapshot_duration_seconds',
      help: 'Wall time of the last checkpoint, from its cut to its commit.',
      registers,
    }),
    snapshotAssets: new Counter({
      name: 'twin_exporter_snapshot_assets_written_total',
      help: 'Assets written by checkpoints (only those that changed since the previous one).',
      registers,
    }),
    snapshotBytes: new Counter({
      name: 'twin_exporter_snapshot_bytes_written_total',
      help: 'Bytes of assets written by checkpoints.',
      registers,
    }),
    journalRecords: new Counter({
      name: 'twin_exporter_journal_records_total',
      help: 'Changes journaled (and applied once on disk).',
      registers,
    }),
    journalBytes: new Counter({
      name: 'twin_exporter_journal_bytes_total',
      help: 'Bytes journaled.',
      registers,
    }),
    journalFailures: new Counter({
      name: 'twin_exporter_journal_failures_total',
      help: 'Journal writes that failed: their changes were refused (503), none applied.',
      registers,
    }),
    journalWaiting: new Gauge({
      name: 'twin_exporter_journal_waiting_records',
      help: 'Changes journaled and not yet on disk.',
      registers,
    }),
    replayed: new Gauge({
      name: 'twin_exporter_journal_replayed_records',
      help: 'Journal records applied at the last start, after the checkpoint.',
      registers,
    }),
    restoreSeconds: new Gauge({
      name: 'twin_exporter_restore_duration_seconds',
      help: 'Time the last start took to restore the checkpoint and replay the journal.',
      registers,
    }),
  };
}
