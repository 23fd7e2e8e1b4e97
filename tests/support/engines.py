"""Which engine ran the operations, from `crossfade_graphql_executions_total`."""

from __future__ import annotations

from prometheus_client import REGISTRY


def executions() -> dict[str, float]:
    """Operations run by the compiled engine's context, by engine (see gateway/execution)."""
    counts: dict[str, float] = {"compiled": 0.0, "standard": 0.0}
    for metric in REGISTRY.collect():
        if metric.name == "crossfade_graphql_executions":
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    counts[sample.labels["engine"]] += sample.value
    return counts


class CompiledShare:
    """How many executions of the compiled gateway ran a plan (the rest: graphql-core)."""

    def __enter__(self) -> CompiledShare:
        self._before = executions()
        return self

    def __exit__(self, *exc: object) -> None:
        after = executions()
        self.compiled = after["compiled"] - self._before["compiled"]
        self.fallback = after["standard"] - self._before["standard"]

    @property
    def share(self) -> float:
        return self.compiled / max(1.0, self.compiled + self.fallback)
