import type { TwinPoint } from '../model.js';
import type { TwinEngine } from '../twin/engine.js';
import type { CommandAck } from './model.js';
import type { CommandMessage } from './transport.js';

/**
 * The embedded default's device: it applies a command at once by reporting the commanded value as
 * the asset's physical state, and acks like a Kafka device would (accepted, then done). It lets a
 * single process show the whole command life without hardware; real sites use `devices: kafka`.
 */
export function simulatedDevice(
  twin: {
    engine: Pick<TwinEngine, 'asset'>;
    /** Applies points as the twin's own ingest does (journaled first). */
    applyPoints(points: TwinPoint[], receivedMs: number): Promise<number>;
  },
  now: () => number = Date.now,
) {
  return (message: CommandMessage, ack: (ack: CommandAck) => void): void => {
    const { commandId, assetId } = message;
    ack({ commandId, assetId, status: 'accepted' });
    const value = message.value;
    if (typeof value !== 'number' && typeof value !== 'string' && typeof value !== 'boolean') {
      ack({
        commandId,
        assetId,
        status: 'rejected',
        message: `cannot set ${message.property} to a ${typeof value}`,
      });
      return;
    }
    const at = now();
    const reported = twin.applyPoints(
      [
        {
          assetId,
          assetClass: message.assetClass,
          site: twin.engine.asset(assetId, at)?.site ?? undefined,
          source: 'physical',
          property: message.property,
          value,
          sourceTimeMs: at,
          model: undefined,
          targetTimeMs: undefined,
          desiredVersion: undefined,
          reportedVersion: undefined,
        },
      ],
      at,
    );
    reported.then(
      () => ack({ commandId, assetId, status: 'done', reportedValue: value }),
      (error: Error) =>
        ack({ commandId, assetId, status: 'rejected', message: `not applied: ${error.message}` }),
    );
  };
}
