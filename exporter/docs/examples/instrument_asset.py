"""Instrument one asset with the official OpenTelemetry Python SDK and send its measurements to
the twinops exporter over OTLP/HTTP.

    pip install opentelemetry-sdk==1.45.2 opentelemetry-exporter-otlp-proto-http==1.45.2
    OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=http://localhost:4318/v1/metrics python instrument_asset.py

The pump reports its temperature (an observable gauge, read at each export), its start count (a
counter, sent as its cumulative total) and its vibration (an exponential histogram, which the
exporter does not take: it answers with a partial success, logged here); a thermal model's
forecast of its temperature a minute ahead goes with them as a prediction. TWIN_ASSET_ID names the
asset (default pump-17); TWIN_RUN_SECONDS stops the program after that long (default: Ctrl-C).
"""

import logging
import os
import time

import requests
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceResponse,
)
from opentelemetry.sdk.metrics import Counter, MeterProvider, UpDownCounter
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

# Who the asset is, and where its values come from: twin.source on the resource applies to every
# point that does not carry its own.
resource = Resource.create(
    {
        "service.name": "pump-gateway",
        "twin.asset.id": os.environ.get("TWIN_ASSET_ID", "pump-17"),
        "twin.asset.class": "pump",
        "twin.site": "plant-a",
        "twin.source": "physical",
    }
)

log = logging.getLogger("instrument_asset")

# Well below the class's staleAfter (30 s for pumps in exporter/config.example.yaml): at most a
# third of it, so one lost export does not make the asset stale.
EXPORT_INTERVAL_MS = 10_000


def read_temperature() -> float:
    """Stands for reading the sensor."""
    return 21.5


def read_vibration() -> float:
    """Stands for reading the accelerometer, in mm/s."""
    return 2.8


def forecast_temperature(target_time_ns: int) -> float:
    """Stands for the thermal model's forecast for that time."""
    return 22.0


def observe_temperature(options: CallbackOptions):
    yield Observation(read_temperature())


def observe_forecast(options: CallbackOptions):
    target = time.time_ns() + 60 * 10**9
    yield Observation(
        forecast_temperature(target),
        {
            "twin.source": "model",
            "twin.property": "temperature",
            "twin.model.name": "thermal",
            "twin.model.version": "3.2.0",
            "twin.prediction.target_time_unix_nano": target,
        },
    )


def log_partial_success(response: requests.Response, *args, **kwargs) -> None:
    """The Python SDK does not read OTLP's partial_success: log what the exporter rejected."""
    if response.ok and response.content:
        partial = ExportMetricsServiceResponse.FromString(response.content).partial_success
        if partial.rejected_data_points:
            log.warning(
                "partial success, rejected_data_points=%d: %s",
                partial.rejected_data_points,
                partial.error_message,
            )


def main() -> None:
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    session = requests.Session()
    session.hooks["response"].append(log_partial_success)
    exporter = OTLPMetricExporter(
        session=session,
        # The exporter takes a sum's value as the property's value: cumulative gives the total.
        preferred_temporality={
            Counter: AggregationTemporality.CUMULATIVE,
            UpDownCounter: AggregationTemporality.CUMULATIVE,
        },
    )
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=EXPORT_INTERVAL_MS)
    provider = MeterProvider(
        resource=resource,
        metric_readers=[reader],
        views=[
            View(instrument_name="vibration", aggregation=ExponentialBucketHistogramAggregation())
        ],
    )
    meter = provider.get_meter("pump-gateway", "1.0.0")
    meter.create_observable_gauge("temperature", callbacks=[observe_temperature], unit="Cel")
    meter.create_observable_gauge("temperature_forecast", callbacks=[observe_forecast])
    starts = meter.create_counter("starts", unit="{start}")
    vibration = meter.create_histogram("vibration", unit="mm/s")

    starts.add(1)  # stands for the pump starting: count each start as it happens
    run_seconds = os.environ.get("TWIN_RUN_SECONDS")
    deadline = time.monotonic() + float(run_seconds) if run_seconds else None
    try:
        while True:
            vibration.record(read_vibration())
            if deadline is not None and time.monotonic() >= deadline:
                break
            time.sleep(1)
    except KeyboardInterrupt:
        pass
    finally:
        provider.shutdown()  # exports once more, so the last readings are not lost


if __name__ == "__main__":
    main()
