"""The ranking model: ``train`` and ``eval`` (offline evaluation of the models on a log)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.commands.arguments import Subparsers


def _train(args: argparse.Namespace) -> int:
    from gateway.config import Settings
    from ranking.train import is_stale, train

    settings = Settings()
    if args.if_stale and not is_stale(settings.db_path, settings.models_dir):
        print("model is up to date")
        return 0
    path = train(settings.db_path, settings.models_dir, progress=not args.quiet)
    print(f"model written to {path}")
    return 0


def _eval(args: argparse.Namespace) -> int:
    import json

    from ranking.offline import EvalError, run_eval

    try:
        variants = None
        if args.experiment:
            from gateway.config import Settings
            from ranking.experiments import parse_plan

            variants = parse_plan(Settings().experiments).model_variants(args.experiment)
        report, table = run_eval(args.interactions, variants=variants, progress=not args.json)
    except (EvalError, LookupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report) if args.json else table)
    if args.out is not None:
        from ranking.eval_chart import ChartsUnavailable, write_eval_chart

        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "eval.json").write_text(json.dumps(report, indent=2) + "\n")
        try:
            chart = write_eval_chart(report, args.out / "eval.png", title=args.interactions.name)
        except ChartsUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.out / 'eval.json'} and {chart}", file=sys.stderr)
    return 0


def add_train(sub: Subparsers) -> None:
    train = sub.add_parser("train", help="train the ranking model")
    train.add_argument("--if-stale", action="store_true", help="only when missing or stale")
    train.add_argument("--quiet", action="store_true")
    train.set_defaults(func=_train)


def add_eval(sub: Subparsers) -> None:
    evaluate = sub.add_parser("eval", help="offline evaluation of the ranking models on a log")
    evaluate.add_argument(
        "--interactions",
        type=Path,
        required=True,
        help="TSV with a header: user, item, weight (play count)[, timestamp]",
    )
    evaluate.add_argument("--json", action="store_true", help="print the report as JSON")
    evaluate.add_argument(
        "--experiment", help="also compare the model variants of this CROSSFADE_EXPERIMENTS entry"
    )
    evaluate.add_argument(
        "--out",
        type=Path,
        help="also write the JSON report (eval.json) and its chart (eval.png) into this folder",
    )
    evaluate.set_defaults(func=_eval)
