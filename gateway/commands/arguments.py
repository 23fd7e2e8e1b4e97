"""Argument types shared by the subcommands: bounded numbers, day counts, dates."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable
from typing import TypeAlias, TypeVar

# What ``ArgumentParser.add_subparsers`` returns: where a group adds its commands. Generic
# only to the type checker, hence the string.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


N = TypeVar("N", int, float)


def _bounded(convert: Callable[[str], N], what: str, low: N, high: N) -> Callable[[str], N]:
    def parse(text: str) -> N:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is not between {low} and {high}")
        return value

    return parse


def bounded(low: float, high: float) -> Callable[[str], float]:
    return _bounded(float, "a number", low, high)


def bounded_int(low: int, high: int) -> Callable[[str], int]:
    return _bounded(int, "a whole number", low, high)


def positive_days(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of days >= 1")
    return int(text)


def iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a YYYY-MM-DD date") from None
