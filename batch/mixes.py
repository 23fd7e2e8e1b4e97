"""``crossfade mixes build --engine spark``: Discover Weekly and the Daily Mixes of every
listener as one batch job, stored with the week or day they are valid for.

Spark groups the log into one history per listener and spreads the listeners over its
workers; each worker loads the model version once (shipped with ``SparkContext.addFile``) and
builds the mixes with the ranking core's own methods, so the batch follows exactly the
request-time rules (nothing played before, at most 2 per artist in Discover Weekly and 3 of
the new picks in a Daily Mix, the listener's explicit filter) and, for the same model version,
week and history, gives exactly the request-time lists. Results stream back to the driver
into a temporary file, and only then go to the store, in one short transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from collections.abc import Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from pyspark import SparkFiles
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

from backends.store import connect
from backends.store.mixes import GeneratedMix, Kind, replace_period
from batch.log import play_counts, read_users
from ranking import RankingCore, artifact
from ranking.mixes import DAILY_MIX_SIZE, DISCOVER_WEEKLY_SIZE
from ranking.period import day_of, week_of

# Per Python worker process: the model versions it has loaded (workers are reused).
_CORES: dict[str, RankingCore] = {}


@dataclass(frozen=True)
class MixesReport:
    model_version: str
    week: str
    day: str
    listeners: int
    rows: int
    seconds: float


def _core(version: str) -> RankingCore:
    core = _CORES.get(version)
    if core is None:
        shipped = Path(SparkFiles.get(version))
        core = _CORES[version] = RankingCore.load(shipped.parent, version)
    return core


def listener_key(user_id: int) -> str:
    """The seed key of a listener's Discover Weekly: their handle, as the gateway uses it."""
    return f"user-{user_id}"


def mixes_of(
    core: RankingCore,
    user_id: int,
    history: dict[int, float],
    allow_explicit: bool,
    day: dt.date,
    generated_at: int,
) -> list[GeneratedMix]:
    """One listener's Discover Weekly (position 1) and Daily Mixes for ``day``."""
    year, week, _ = day.isocalendar()
    dw = core.discover_weekly(
        history,
        listener_key(user_id),
        year,
        week,
        k=DISCOVER_WEEKLY_SIZE,
        allow_explicit=allow_explicit,
    )
    out = [
        GeneratedMix(
            user_id,
            "discover_weekly",
            1,
            week_of(day),
            core.version,
            allow_explicit,
            (),
            tuple(dw),
            generated_at,
        )
    ]
    for mix in core.daily_mixes(history, allow_explicit=allow_explicit, size=DAILY_MIX_SIZE):
        out.append(
            GeneratedMix(
                user_id,
                "daily_mix",
                mix.index,
                day_of(day),
                core.version,
                allow_explicit,
                tuple(mix.top_artist_ids),
                tuple(mix.track_ids),
                generated_at,
            )
        )
    return out


def _partition(
    rows: Iterable[Any], version: str, day: dt.date, generated_at: int
) -> Iterator[tuple[Any, ...]]:
    core = _core(version)
    for row in rows:
        history = {int(h["track_id"]): float(h["plays"]) for h in row["history"] or ()}
        allow_explicit = not bool(row["explicit_filter"])
        for mix in mixes_of(core, int(row["id"]), history, allow_explicit, day, generated_at):
            yield (
                mix.user_id,
                mix.kind,
                mix.position,
                mix.valid_for,
                mix.model_version,
                mix.allow_explicit,
                list(mix.top_artist_ids),
                list(mix.track_ids),
                mix.generated_at,
            )


def build_mixes(
    spark: SparkSession,
    export_dir: Path,
    models_dir: Path,
    db_path: Path,
    day: dt.date,
    *,
    version: str | None = None,
) -> MixesReport:
    """Build every listener's mixes for ``day`` (its ISO week for Discover Weekly) with model
    ``version`` (default: the served one) and replace that week's and day's rows."""
    started = time.perf_counter()
    version = version or artifact.read_current(models_dir)
    spark.sparkContext.addFile(str(models_dir / version), recursive=True)
    histories = (
        play_counts(spark, export_dir)
        .groupBy("user_id")
        .agg(F.collect_list(F.struct("track_id", "plays")).alias("history"))
    )
    # Every listener, those without a play too: they get the cold-start mixes a request would.
    users = read_users(spark, export_dir).select("id", "explicit_filter")
    listeners = users.join(histories, users["id"] == histories["user_id"], "left").select(
        "id", "explicit_filter", "history"
    )
    generated_at = int(time.time() * 1000)
    results = listeners.rdd.mapPartitions(lambda rows: _partition(rows, version, day, generated_at))
    n_listeners = 0
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        seen: set[int] = set()
        for row in results.toLocalIterator():
            spool.write(json.dumps(row) + "\n")
            seen.add(int(row[0]))
        n_listeners = len(seen)
        spool.seek(0)
        periods: dict[Kind, str] = {"discover_weekly": week_of(day), "daily_mix": day_of(day)}
        with closing(connect(db_path)) as conn:
            rows = replace_period(conn, periods, _read_spool(spool))
    return MixesReport(
        version,
        week_of(day),
        day_of(day),
        n_listeners,
        rows,
        round(time.perf_counter() - started, 3),
    )


def _read_spool(spool: IO[str]) -> Iterator[GeneratedMix]:
    for line in spool:
        r = json.loads(line)
        yield GeneratedMix(
            int(r[0]),
            r[1],
            int(r[2]),
            str(r[3]),
            str(r[4]),
            bool(r[5]),
            tuple(r[6]),
            tuple(r[7]),
            int(r[8]),
        )
