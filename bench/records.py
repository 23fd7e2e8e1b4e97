"""The records of a bench run, shared by the runner, the printed tables, the JSON and the chart."""

from __future__ import annotations

from dataclasses import dataclass

from bench.wrk import WrkResult

BACKEND_MODES = ("in-process", "separate")
ENGINES = ("compiled", "standard")


@dataclass(frozen=True)
class Run:
    """One wrk run against a gateway process."""

    backends: str  # in-process | separate
    engine: str  # compiled | standard (CROSSFADE_EXECUTOR)
    operation: str
    listeners: str  # distinct | repeated
    connections: int
    wrk: WrkResult
    # Operations the gateway executed (its /metrics), wrk's requests plus the few it left in
    # flight at the end, which run to completion: the denominator of the figures below.
    executed: float
    cpu_ms: float  # gateway process CPU (utime + stime, all threads) per executed operation
    backends_cpu_ms: float | None  # the backend processes', when they run apart
    calls_per_request: float  # crossfade_backend_requests_total delta per executed operation
    calls: dict[str, float]  # that delta per backend
    graphql_errors: dict[str, float]  # crossfade_graphql_errors_total delta per code
    lines: int  # distinct requests (listener, variables) the run rotated over
    foreign_cores: float  # CPU others used meanwhile, in cores

    @property
    def wrapped(self) -> bool:
        """More requests than distinct listeners: some came back within a distinct run."""
        return self.listeners == "distinct" and self.wrk.requests > self.lines

    @property
    def errors(self) -> int:
        return int(sum(self.graphql_errors.values())) + self.wrk.non_2xx


@dataclass(frozen=True)
class Probe:
    """Single requests, one at a time, around the runs of one operation on one gateway."""

    backends: str
    engine: str
    operation: str
    cold_calls: dict[str, float]  # the first request of a fresh gateway process
    new_listener_calls: dict[str, float]  # after the warm-up: unseen listener and variables
    repeated_calls: dict[str, float]  # the repeated listener's second request
    response_bytes: float  # mean over the captured responses
    graphql_errors: list[object]  # errors found in the captured responses
    same_as_reference: bool | None  # the same responses as the first configuration measured


@dataclass(frozen=True)
class CeilingRun:
    operation: str
    listeners: str
    connections: int
    wrk: WrkResult
    cpu_ms: float
    response_bytes: float
    foreign_cores: float


def calls(counts: dict[str, float]) -> float:
    return sum(counts.values())
