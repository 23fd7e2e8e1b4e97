"""Backend requests counted through the gateway's own Prometheus counter: how tests check
that a refusal came before any backend call, or that a page costs a constant few."""

from __future__ import annotations

from collections import Counter
from types import TracebackType
from typing import Self

from prometheus_client import REGISTRY

METRIC = "crossfade_backend_requests"


def backend_calls() -> Counter[str]:
    """Requests made so far in this process, per backend."""
    counts: Counter[str] = Counter()
    for metric in REGISTRY.collect():
        if metric.name == METRIC:
            for sample in metric.samples:
                if sample.name == f"{METRIC}_total":
                    counts[sample.labels["backend"]] += int(sample.value)
    return counts


class CallMeter:
    """``with CallMeter() as m: ...`` then ``m.calls`` is the requests made per backend."""

    calls: Counter[str]

    def __enter__(self) -> Self:
        self._before = backend_calls()
        self.calls = Counter()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        after = backend_calls()
        self.calls = Counter(
            {k: after[k] - self._before[k] for k in after if after[k] - self._before[k]}
        )

    @property
    def total(self) -> int:
        return sum(self.calls.values())
