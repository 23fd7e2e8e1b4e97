"""How busy the machine was during a run, apart from what the bench itself ran.

Figures measured while other work shares the cores are not final. Each run reads the
machine's busy CPU time (/proc/stat) and the CPU time of what the bench started (the servers
from /proc/PID/stat, wrk and the bench itself from rusage); the difference is CPU someone
else used, reported per run in cores so a noisy run shows as one.
"""

from __future__ import annotations

import os
import platform
import resource
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from bench.servers import CLOCK_TICKS, Server


def busy_seconds() -> float:
    """CPU time the whole machine has spent not idle since boot (all cores)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    # guest and guest_nice (fields 9, 10) are already counted in user and nice.
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def steal_seconds() -> float:
    """CPU time the hypervisor gave other guests while this one wanted it (all cores)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return int(fields[7]) / CLOCK_TICKS if len(fields) > 7 else 0.0


def own_seconds() -> float:
    """CPU of this process and of its reaped children (wrk, ``crossfade token``)."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


@dataclass(frozen=True)
class Snapshot:
    busy: float
    own: float
    servers: dict[str, float]

    @classmethod
    def take(cls, servers: Iterable[Server]) -> Snapshot:
        return cls(busy_seconds(), own_seconds(), {s.name: s.cpu_seconds() for s in servers})

    def server_seconds(self, before: Snapshot, name: str) -> float:
        return self.servers.get(name, 0.0) - before.servers.get(name, 0.0)

    def foreign_cores(self, before: Snapshot, wall_seconds: float) -> float:
        """Cores' worth of CPU used by processes the bench did not start, on average."""
        ours = (self.own - before.own) + sum(
            self.server_seconds(before, name) for name in self.servers
        )
        return max(0.0, (self.busy - before.busy) - ours) / max(wall_seconds, 1e-9)


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def describe() -> dict[str, object]:
    """The machine and the code, for the JSON report."""

    def output(*command: str) -> str:
        try:
            run = subprocess.run(command, capture_output=True, text=True, timeout=10)
        except OSError:
            return ""
        return run.stdout.strip() or run.stderr.strip()

    return {
        "cpus": os.cpu_count(),
        "load_average_1m": load_average(),
        "python": platform.python_version(),
        "wrk": output("wrk", "--version").splitlines()[0] if output("wrk", "--version") else "",
        "commit": output("git", "rev-parse", "HEAD"),
        "uncommitted_changes": bool(output("git", "status", "--porcelain")),
    }
