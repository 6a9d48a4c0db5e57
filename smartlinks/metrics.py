"""Prometheus metrics read from plain stats objects at scrape time.

Hot paths bump plain integer attributes (a few nanoseconds); nothing there touches a
metrics library or a lock. A ``StatsCollector`` turns those attributes into Prometheus
samples only when ``/metrics`` is scraped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

Read = Callable[[], float | dict[str, float]]


@dataclass(frozen=True, slots=True)
class Sample:
    name: str  # without the "smartlinks_" prefix
    help: str
    kind: str  # "counter" | "gauge"
    read: Read  # a dict is one labelled sample per key
    label: str = ""


def counter(name: str, help: str, read: Read, label: str = "") -> Sample:
    return Sample(name, help, "counter", read, label)


def gauge(name: str, help: str, read: Read, label: str = "") -> Sample:
    return Sample(name, help, "gauge", read, label)


def per_label(counts: Mapping[str, int]) -> dict[str, float]:
    """A count per reason (or step, or result) as the values of one labelled sample."""
    return {key: float(count) for key, count in counts.items()}


class StatsCollector(Collector):
    def __init__(self, samples: list[Sample]) -> None:
        self.samples = samples

    def collect(self) -> Iterator[Metric]:
        for sample in self.samples:
            name = "smartlinks_" + sample.name
            value = sample.read()
            labels = [sample.label] if isinstance(value, dict) else None
            family: CounterMetricFamily | GaugeMetricFamily
            if sample.kind == "counter":
                family = CounterMetricFamily(name, sample.help, labels=labels)
            else:
                family = GaugeMetricFamily(name, sample.help, labels=labels)
            if isinstance(value, dict):
                for key, number in sorted(value.items()):
                    family.add_metric([key], number)
            else:
                family.add_metric([], value)
            yield family


def new_registry(*collectors: Collector) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    for collector in collectors:
        registry.register(collector)
    return registry


def render(registry: CollectorRegistry) -> bytes:
    return generate_latest(registry)
