"""Counting backend requests through the gateway's own Prometheus counter."""

from __future__ import annotations

from collections import Counter

from prometheus_client import REGISTRY


def backend_calls() -> Counter[str]:
    counts: Counter[str] = Counter()
    for metric in REGISTRY.collect():
        if metric.name == "crossfade_backend_requests":
            for sample in metric.samples:
                if sample.name == "crossfade_backend_requests_total":
                    counts[sample.labels["backend"]] += int(sample.value)
    return counts


class CallMeter:
    """``with CallMeter() as m: ...`` then ``m.calls`` is the requests made per backend."""

    def __enter__(self) -> CallMeter:
        self._before = backend_calls()
        return self

    def __exit__(self, *exc: object) -> None:
        after = backend_calls()
        self.calls = Counter(
            {k: after[k] - self._before[k] for k in after if after[k] - self._before[k]}
        )

    @property
    def total(self) -> int:
        return sum(self.calls.values())
