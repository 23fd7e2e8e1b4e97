"""``crossfade usage``: who uses what, as a table or JSON; ``--deprecated``: the deprecated
fields still in use, with their clients and last use."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson

from gateway.usage.usage_store import HOUR_S, UsageTotal, UsageWindow, hour_label, hour_of

_DURATION = re.compile(r"^\s*(\d+)\s*([hdw])\s*$")
_UNIT_S = {"h": HOUR_S, "d": 24 * HOUR_S, "w": 7 * 24 * HOUR_S}


def parse_since(text: str) -> int:
    """``7d``, ``36h``, ``2w`` → seconds; ``ValueError`` for anything else."""
    match = _DURATION.match(text)
    if match is None or int(match.group(1)) == 0:
        raise ValueError(f"{text!r} is not a duration such as 24h, 7d or 2w")
    return int(match.group(1)) * _UNIT_S[match.group(2)]


def describe(text: str) -> str:
    """``7d`` → ``the last 7 days``: a window as the reports name it."""
    match = _DURATION.match(text)
    if match is None:
        return f"the last {text}"
    n, unit = int(match.group(1)), {"h": "hour", "d": "day", "w": "week"}[match.group(2)]
    return f"the last {n} {unit}{'s' if n != 1 else ''}"


def since_hour(seconds: int, now: float | None = None) -> int:
    """The first hour bucket of a window of ``seconds`` ending now (the current hour counts)."""
    now = time.time() if now is None else now
    return hour_of(now) - max(seconds // HOUR_S - 1, 0) * HOUR_S


def matches(coordinate: str, wanted: str) -> bool:
    """``Track`` matches its fields, ``Track.name`` the field and its arguments,
    ``Track.name(x:)`` only that argument."""
    if "." not in wanted:
        return coordinate.startswith(wanted + ".")
    return coordinate == wanted or ("(" not in wanted and coordinate.startswith(wanted + "("))


@dataclass(slots=True)
class ClientUse:
    """One client (name and version) using one coordinate over the window."""

    coordinate: str
    client: str
    version: str
    requests: int = 0
    last_hour: int = 0
    operations: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "coordinate": self.coordinate,
            "client": self.client,
            "clientVersion": self.version or None,
            "requests": self.requests,
            "lastUsed": hour_label(self.last_hour) + " UTC",
            "operations": dict(sorted(self.operations.items())),
        }


def client_uses(totals: Iterable[UsageTotal]) -> list[ClientUse]:
    """Totals per (coordinate, client, version), with their operations; by coordinate, then
    most requests first."""
    grouped: dict[tuple[str, str, str], ClientUse] = {}
    for total in totals:
        key = (total.coordinate, total.client, total.version)
        use = grouped.get(key)
        if use is None:
            use = grouped[key] = ClientUse(total.coordinate, total.client, total.version)
        use.requests += total.count
        use.last_hour = max(use.last_hour, total.last_hour)
        name = total.operation or "(anonymous)"
        use.operations[name] = use.operations.get(name, 0) + total.count
    return sorted(grouped.values(), key=lambda u: (u.coordinate, -u.requests, u.client, u.version))


def client_label(client: str, version: str) -> str:
    return f"{client} {version}" if version else client


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Plain aligned columns; ``right`` holds the numeric columns' indexes."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = []
    for row in [header, *rows]:
        cells = [
            str(v).rjust(widths[i]) if i in right else str(v).ljust(widths[i])
            for i, v in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
    return lines


def _window_line(window: UsageWindow, days_or_label: str) -> str:
    return f"over {days_or_label} (since {hour_label(window.since_hour)} UTC), from {window.source}"


def usage_report(window: UsageWindow, *, label: str, wanted: str | None, as_json: bool) -> str:
    uses = client_uses(t for t in window.totals if wanted is None or matches(t.coordinate, wanted))
    if as_json:
        return orjson.dumps(
            {
                "since": hour_label(window.since_hour) + " UTC",
                "source": window.source,
                "usage": [u.as_json() for u in uses],
            },
            option=orjson.OPT_INDENT_2,
        ).decode()
    lines = [f"Field usage {_window_line(window, label)}"]
    if not uses:
        lines.append("  nothing recorded" + ("" if window.exists else " (no usage store yet)"))
        return "\n".join(lines)
    rows = [
        (
            u.coordinate,
            client_label(u.client, u.version),
            f"{u.requests:,}",
            hour_label(u.last_hour),
            ", ".join(sorted(u.operations)),
        )
        for u in uses
    ]
    lines += table(("coordinate", "client", "requests", "last used (UTC)", "operations"), rows, {2})
    return "\n".join(lines)


def deprecated_report(
    window: UsageWindow, deprecated: dict[str, str], *, label: str, as_json: bool
) -> str:
    """Deprecated coordinates still in use over the window, each with its clients."""
    uses = client_uses(t for t in window.totals if t.coordinate in deprecated)
    in_use = sorted({u.coordinate for u in uses})
    unused = sorted(set(deprecated) - set(in_use))
    if as_json:
        return orjson.dumps(
            {
                "since": hour_label(window.since_hour) + " UTC",
                "source": window.source,
                "inUse": [
                    {
                        "coordinate": c,
                        "reason": deprecated[c],
                        "clients": [u.as_json() for u in uses if u.coordinate == c],
                    }
                    for c in in_use
                ],
                "unused": [{"coordinate": c, "reason": deprecated[c]} for c in unused],
            },
            option=orjson.OPT_INDENT_2,
        ).decode()
    lines = [f"Deprecated fields in use {_window_line(window, label)}"]
    if not deprecated:
        lines.append("  the schema deprecates no field or argument")
        return "\n".join(lines)
    if not in_use:
        lines.append("  none")
    for coordinate in in_use:
        lines.append(f"{coordinate}  (deprecated: {deprecated[coordinate]})")
        rows = [
            (
                client_label(u.client, u.version),
                ", ".join(sorted(u.operations)),
                f"{u.requests:,}",
                hour_label(u.last_hour),
            )
            for u in uses
            if u.coordinate == coordinate
        ]
        lines += [
            "  " + line
            for line in table(("client", "operations", "requests", "last used (UTC)"), rows, {2})
        ]
    if unused:
        lines.append(f"Deprecated and unused over {label}: {', '.join(unused)}")
    return "\n".join(lines)
