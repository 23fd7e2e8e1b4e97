"""The periods a batch-built mix is valid for, named the same by the batch job that writes
them and the gateway that looks them up: an ISO week for Discover Weekly, a UTC day for the
Daily Mixes. Both names sort as text in time order."""

from __future__ import annotations

import datetime as dt


def week_of(day: dt.date) -> str:
    """``'2026-W05'``: the ISO week Discover Weekly of ``day`` belongs to."""
    year, week, _ = day.isocalendar()
    return f"{year:04d}-W{week:02d}"


def day_of(day: dt.date) -> str:
    """``'2026-11-03'``: the day the Daily Mixes of ``day`` belong to."""
    return day.isoformat()
