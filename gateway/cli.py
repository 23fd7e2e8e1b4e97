"""The ``crossfade`` command: serve, run a backend, build data, train, issue tokens."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from gateway.commands import contract, data, model, server, spark, tokens


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crossfade", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    # In the order `crossfade --help` lists them.
    server.add_serve(sub)
    server.add_backend(sub)
    data.add_data(sub)
    model.add_train(sub)
    spark.add_mixes(sub)
    tokens.add_token(sub)
    server.add_assets(sub)
    model.add_eval(sub)
    contract.add_schema(sub)
    contract.add_usage(sub)
    contract.add_persist(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
