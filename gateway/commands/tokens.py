"""``token``: development bearer tokens for listeners (signed with the development secret,
or whatever CROSSFADE_JWT_SECRET says)."""

from __future__ import annotations

import argparse
import sys

from gateway.commands.arguments import Subparsers, bounded_int


def _token(args: argparse.Namespace) -> int:
    from gateway.authenticator import InvalidToken, issue_token
    from gateway.config import Settings

    handles = [*args.handles, *(f"user-{n}" for n in range(1, (args.count or 0) + 1))]
    if not handles:
        print("error: name at least one listener (user-1 ...) or pass --count N", file=sys.stderr)
        return 2
    settings = Settings()
    try:
        # All signed before any is printed: a bad handle anywhere prints no partial list.
        tokens = [issue_token(settings, handle, ttl_s=args.ttl) for handle in handles]
    except InvalidToken as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write("".join(f"{token}\n" for token in tokens))
    return 0


def add_token(sub: Subparsers) -> None:
    token = sub.add_parser(
        "token", help="print development bearer tokens for listeners, one per line, in order"
    )
    token.add_argument("handles", nargs="*", metavar="handle", help="e.g. user-1 user-2")
    token.add_argument(
        "--count", type=bounded_int(1, 1_000_000), help="also user-1 ... user-N, after the handles"
    )
    token.add_argument("--ttl", type=int, default=None, help="lifetime in seconds")
    token.set_defaults(func=_token)
