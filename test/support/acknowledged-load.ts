/**
 * Load that keeps its own count of what the exporter acknowledged, as OTLP clients would see it:
 * over OTLP/HTTP (protobuf, gzip) a request counts once it got a 200, and one that got anything
 * else or no answer at all is sent again, byte for byte, until it does (the collector's retry);
 * into Kafka a message counts once the broker acknowledged it (acks=all). Each sender owns its
 * assets and sends one request at a time, so the last value acknowledged for an asset is the one
 * the twin must hold at the end.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { gzipSync } from 'node:zlib';
import type { Producer } from 'kafkajs';
import { attributes, encode } from '../../exporter/test/ingest/otlp/testing.js';

export interface LoadCounts {
  /** Points in requests answered 200 (HTTP) or messages acknowledged by Kafka. */
  points: number;
  requests: number;
  /** Sends that got no answer or a refusal, and were sent again. */
  retried: number;
  /** Last value acknowledged per asset. */
  lastValue: Map<string, number>;
}

/** An OTLP request setting `value` for each asset, physical and twin, stamped `timeMs`. */
export function assetsRequest(
  assetClass: string,
  assets: readonly string[],
  value: number,
  timeMs: number,
): { body: Uint8Array; points: number } {
  const timeUnixNano = String(BigInt(timeMs) * 1_000_000n);
  const body = encode('metrics', 'otlp_proto', {
    resourceMetrics: assets.map((id) => ({
      resource: {
        attributes: attributes({ 'twin.asset.id': id, 'twin.asset.class': assetClass }),
      },
      scopeMetrics: [
        {
          metrics: (['physical', 'twin'] as const).map((source) => ({
            name: 'level',
            gauge: {
              dataPoints: [
                {
                  timeUnixNano,
                  asDouble: value,
                  attributes: attributes({ 'twin.source': source }),
                },
              ],
            },
          })),
        },
      ],
    })),
  });
  return { body, points: assets.length * 2 };
}

function emptyCounts(): LoadCounts {
  return { points: 0, requests: 0, retried: 0, lastValue: new Map() };
}

/** A sender's clock: strictly increasing, so every request is new bytes and newer per asset. */
function ticker(): () => number {
  let last = 0;
  return () => (last = Math.max(Date.now(), last + 1));
}

export interface RunningLoad {
  counts: LoadCounts;
  /** Stops sending new requests; resolves once the one in flight is acknowledged. */
  stop(): Promise<void>;
}

/** Senders over OTLP/HTTP, each with its own assets of `assetClass`. */
export function httpLoad(options: {
  url: string;
  assetClass: string;
  senders: number;
  assetsPerSender: number;
  /** Pause after each acknowledged request. */
  pauseMs: number;
}): RunningLoad {
  const counts = emptyCounts();
  let stopping = false;
  const sender = async (s: number): Promise<void> => {
    const assets = Array.from(
      { length: options.assetsPerSender },
      (_, i) => `${options.assetClass}-${s}-${i}`,
    );
    const now = ticker();
    for (let value = 1; !stopping; value++) {
      const { body, points } = assetsRequest(options.assetClass, assets, value, now());
      const compressed = gzipSync(body);
      for (;;) {
        const answer = await fetch(`${options.url}/v1/metrics`, {
          method: 'POST',
          body: compressed,
          headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'gzip' },
          signal: AbortSignal.timeout(10_000),
        }).then(
          async (response) => ({ status: response.status, body: await response.arrayBuffer() }),
          () => undefined,
        );
        if (answer?.status === 200) {
          // An empty ExportMetricsServiceResponse: no partial success, nothing rejected.
          if (answer.body.byteLength !== 0) {
            throw new Error(`a 200 with a partial success: ${answer.body.byteLength} bytes`);
          }
          break;
        }
        counts.retried++;
        await sleep(50);
      }
      counts.requests++;
      counts.points += points;
      for (const asset of assets) counts.lastValue.set(asset, value);
      await sleep(options.pauseMs);
    }
  };
  const running = Array.from({ length: options.senders }, (_, s) => sender(s));
  return {
    counts,
    stop: async () => {
      stopping = true;
      await Promise.all(running);
    },
  };
}

/** A producer into Kafka, each message setting the next value of its assets. */
export function kafkaLoad(options: {
  producer: Producer;
  topic: string;
  assetClass: string;
  assets: number;
  pauseMs: number;
}): RunningLoad {
  const counts = emptyCounts();
  let stopping = false;
  const assets = Array.from({ length: options.assets }, (_, i) => `${options.assetClass}-${i}`);
  const now = ticker();
  const running = (async () => {
    for (let value = 1; !stopping; value++) {
      const { body, points } = assetsRequest(options.assetClass, assets, value, now());
      // kafkajs retries on its own; a send that resolves was acknowledged by every replica.
      await options.producer.send({
        topic: options.topic,
        acks: -1,
        messages: [{ key: options.assetClass, value: Buffer.from(body) }],
      });
      counts.requests++;
      counts.points += points;
      for (const asset of assets) counts.lastValue.set(asset, value);
      await sleep(options.pauseMs);
    }
  })();
  return {
    counts,
    stop: async () => {
      stopping = true;
      await running;
    },
  };
}
