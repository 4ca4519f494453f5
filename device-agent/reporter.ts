/**
 * Reports assets' state as physical points over OTLP/HTTP, through the OpenTelemetry SDK's own
 * protobuf exporters, shaped like the fleet simulator's: one resource per asset, numbers as points
 * of the gauge `twin.value`, strings and booleans as log records whose body is the value.
 */
import { ValueType, type Attributes, type HrTime } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  DataPointType,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import type { PropertyValue } from './protocol.js';

/** One asset's reading of some of its properties at one time. */
export interface Reading {
  assetId: string;
  assetClass: string;
  values: [property: string, value: PropertyValue][];
  timeMs: number;
}

const scope = { name: 'twinops-device-agent', version: '0.1.0' };

export class OtlpReporter {
  private readonly metrics: OTLPMetricExporter;
  private readonly logs: OTLPLogExporter;
  private readonly resources = new Map<string, Resource>();

  constructor(endpoint: string, timeoutMs = 5_000) {
    const base = endpoint.replace(/\/+$/, '');
    this.metrics = new OTLPMetricExporter({
      url: `${base}/v1/metrics`,
      timeoutMillis: timeoutMs,
    });
    this.logs = new OTLPLogExporter({ url: `${base}/v1/logs`, timeoutMillis: timeoutMs });
  }

  /** Sends the reading; resolves with the errors (an unreachable exporter must not stop a device). */
  async report(reading: Reading): Promise<string[]> {
    const resource = this.resourceOf(reading.assetId, reading.assetClass);
    const time = msToHrTime(reading.timeMs);
    const numbers = reading.values.filter(([, v]) => typeof v === 'number');
    const others = reading.values.filter(([, v]) => typeof v !== 'number');
    const sends: Promise<ExportResult>[] = [];
    if (numbers.length > 0) {
      const request: ResourceMetrics = {
        resource,
        scopeMetrics: [
          {
            scope,
            metrics: [
              {
                descriptor: {
                  name: 'twin.value',
                  description: 'A property of an asset, as the device reports it',
                  unit: '',
                  valueType: ValueType.DOUBLE,
                },
                aggregationTemporality: AggregationTemporality.CUMULATIVE,
                dataPointType: DataPointType.GAUGE,
                dataPoints: numbers.map(([property, value]) => ({
                  startTime: time,
                  endTime: time,
                  attributes: physical(property),
                  value: value as number,
                })),
              },
            ],
          },
        ],
      };
      sends.push(exportWith((done) => this.metrics.export(request, done)));
    }
    if (others.length > 0) {
      const records: ReadableLogRecord[] = others.map(([property, value]) => ({
        hrTime: time,
        hrTimeObserved: time,
        body: value,
        resource,
        instrumentationScope: scope,
        attributes: physical(property),
        droppedAttributesCount: 0,
      }));
      sends.push(exportWith((done) => this.logs.export(records, done)));
    }
    const results = await Promise.all(sends);
    return results
      .filter((r) => r.code !== ExportResultCode.SUCCESS)
      .map((r) => r.error?.message ?? 'export failed');
  }

  async shutdown(): Promise<void> {
    await Promise.all([this.metrics.shutdown(), this.logs.shutdown()]);
  }

  /** One Resource object per asset: the SDK groups records by resource identity. */
  private resourceOf(assetId: string, assetClass: string): Resource {
    const key = `${assetId}\u0000${assetClass}`;
    let resource = this.resources.get(key);
    if (!resource) {
      resource = resourceFromAttributes({
        'twin.asset.id': assetId,
        'twin.asset.class': assetClass,
      });
      this.resources.set(key, resource);
    }
    return resource;
  }
}

function physical(property: string): Attributes {
  return { 'twin.source': 'physical', 'twin.property': property };
}

function exportWith(start: (done: (result: ExportResult) => void) => void): Promise<ExportResult> {
  return new Promise((resolve) => {
    try {
      start(resolve);
    } catch (error) {
      resolve({ code: ExportResultCode.FAILED, error: error as Error });
    }
  });
}

function msToHrTime(ms: number): HrTime {
  return [Math.floor(ms / 1000), (ms % 1000) * 1e6];
}
