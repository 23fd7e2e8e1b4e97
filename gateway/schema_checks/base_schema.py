"""The base a schema change is checked against: an SDL file, or ``schema/schema.graphql`` as
committed at a git revision (``git show REF:schema/schema.graphql``).

A base that history cannot provide is no error: a shallow clone (CI checkouts often have
depth 1) or a first commit has no ``HEAD~1``, and a revision from before the SDL was committed
has no SDL. Those raise :class:`BaseUnavailable`, which the check reports and passes; a typo
(neither a file nor a revision) raises :class:`BaseError`.
"""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

SDL_PATH = "schema/schema.graphql"
# HEAD~1, HEAD^, @~2: revisions a young history may not have yet.
_RELATIVE_TO_HEAD = re.compile(r"^(?:HEAD|@)(?:[~^]\d*)+$")


class BaseError(Exception):
    """The base names nothing readable; the message says why."""


class BaseUnavailable(Exception):
    """History cannot provide the base here (shallow clone, first commit, no SDL yet)."""


@dataclass(frozen=True, slots=True)
class BaseSchema:
    sdl: str
    label: str  # what the report calls it


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=30
        )
    except FileNotFoundError:
        raise BaseUnavailable("git is not installed") from None


def load_base(spec: str, cwd: Path | None = None) -> BaseSchema:
    """The base named by ``spec``: a file if one exists there, else a git revision."""
    cwd = cwd or Path.cwd()
    path = cwd / spec
    if path.is_file():
        return BaseSchema(path.read_text(), spec)
    if spec.endswith((".graphql", ".graphqls", ".gql")):
        raise BaseError(f"{spec}: no such file")
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise BaseUnavailable(f"{cwd} is not inside a git repository, so {spec} cannot be read")
    root = Path(top.stdout.strip())
    commit = _git(["rev-parse", "--verify", "--quiet", f"{spec}^{{commit}}"], root)
    if commit.returncode != 0:
        shallow = _git(["rev-parse", "--is-shallow-repository"], root).stdout.strip() == "true"
        if shallow:
            raise BaseUnavailable(
                f"{spec} is not in this shallow clone (`git fetch --deepen=1` brings it)"
            )
        if _RELATIVE_TO_HEAD.match(spec):
            count = _git(["rev-list", "--count", "HEAD"], root).stdout.strip()
            raise BaseUnavailable(f"{spec} does not exist: HEAD has {count or 'no'} commit(s)")
        raise BaseError(f"{spec!r} is neither a file nor a git revision")
    sha = commit.stdout.strip()
    shown = _git(["show", f"{sha}:{SDL_PATH}"], root)
    if shown.returncode != 0:
        raise BaseUnavailable(f"{spec} ({sha[:7]}) has no {SDL_PATH}")
    return BaseSchema(shown.stdout, f"{spec} ({SDL_PATH} at {sha[:7]})")
