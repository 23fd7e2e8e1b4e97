"""The fixed point in time the simulated history ends at.

A constant instead of the wall clock so that two builds with the same seed write identical
rows (timestamps included) whenever they run.
"""

from __future__ import annotations

from datetime import UTC, datetime

ANCHOR = datetime(2026, 11, 1, tzinfo=UTC)
ANCHOR_MS = int(ANCHOR.timestamp() * 1000)
DAY_MS = 86_400_000
WINDOW_DAYS = 90
WINDOW_START_MS = ANCHOR_MS - WINDOW_DAYS * DAY_MS
