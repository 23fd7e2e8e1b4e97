#!/usr/bin/env bash
# A Java runtime for Spark (pyspark 4 needs Java 17 or newer), from Debian's packages, for
# the Spark tests, `crossfade train|mixes build|eval --engine spark` and the Dockerfile's
# training target; and a native BLAS (libblas.so.3) for MLlib's ALS, which otherwise falls
# back to Java loops (about twice as slow at rank 64 here).
#
#   bash scripts/java.sh    # install what is missing (idempotent; root)
#
# Debian 12 ships openjdk-17-jre-headless; later releases drop 17 for 21, which Spark 4 runs
# too, so the package is the first of these that apt knows.
set -euo pipefail

has_blas() { ldconfig -p 2>/dev/null | grep -q 'libblas\.so\.3'; }

if command -v java >/dev/null 2>&1 && has_blas; then
    echo "java present: $(command -v java) ($(java -version 2>&1 | head -n 1)); native BLAS present"
    exit 0
fi
if [[ "$(id -u)" -ne 0 ]]; then
    echo "error: installing a Java runtime or BLAS needs root (apt-get)" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if ! has_blas; then
    apt-get install -y -qq --no-install-recommends libopenblas0-pthread >/dev/null
    echo "native BLAS installed: libopenblas0-pthread"
fi
if command -v java >/dev/null 2>&1; then
    echo "java present: $(command -v java)"
    exit 0
fi
for pkg in openjdk-17-jre-headless openjdk-21-jre-headless default-jre-headless; do
    if apt-cache show "$pkg" >/dev/null 2>&1; then
        # Debian's JRE post-install expects the man directories the slim images delete.
        mkdir -p /usr/share/man/man1
        apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null
        echo "java installed: $pkg ($(java -version 2>&1 | head -n 1))"
        exit 0
    fi
done
echo "error: apt knows no Java runtime package (openjdk-17/21, default-jre-headless)" >&2
exit 1
