"""GraphiQL's browser assets, vendored from the npm registry at set-up time.

The gateway must serve GraphiQL with no CDN (offline developer machines, locked-down
deployments), so `crossfade assets fetch` downloads the pinned npm tarballs once with the
ordinary `npm` client and keeps only the four files the page loads. They land in
`gateway/static/vendor/` (gitignored): build output, never committed.

graphiql 3.8.2 is the pinned version because its package still ships the UMD bundle
(`graphiql.min.js`, React as a global, graphql-js and CodeMirror bundled in); graphiql 5
dropped the UMD build for ESM-only packages that need a bundler or an import map of CDN URLs.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
MANIFEST_NAME = "manifest.json"
# Bumped when the manifest's shape changes, so an old vendor dir is fetched again.
MANIFEST_FORMAT = 1

GRAPHIQL_VERSION = "3.8.2"
REACT_VERSION = "18.3.1"


@dataclass(frozen=True)
class Package:
    """One pinned npm tarball and the files taken from it."""

    spec: str
    # Subresource-integrity string the registry publishes for this exact tarball; pinning it
    # means a republished or tampered tarball fails the fetch instead of reaching browsers.
    integrity: str
    # tarball member (npm tarballs root everything at "package/") -> vendored file name
    files: tuple[tuple[str, str], ...]


PACKAGES: tuple[Package, ...] = (
    Package(
        spec=f"graphiql@{GRAPHIQL_VERSION}",
        integrity="sha512-r8nJHKtafaOx/VRAAJmJCNdLfGUY1YvqSJcHTdnIoIs3ZFEYiAv1NM6zpwSo1gSVzhxGZ183++DaaVrqdfLl6A==",
        files=(
            ("package/graphiql.min.js", "graphiql.min.js"),
            ("package/graphiql.min.css", "graphiql.min.css"),
        ),
    ),
    Package(
        spec=f"react@{REACT_VERSION}",
        integrity="sha512-wS+hAgJShR0KhEvPJArfuPVN1+Hz1t0Y6n5jLrGQbkb4urgPE/0Rve+1kMB1v/oWgHgm4WIcV+i7F2pTVj+2iQ==",
        files=(("package/umd/react.production.min.js", "react.production.min.js"),),
    ),
    Package(
        spec=f"react-dom@{REACT_VERSION}",
        integrity="sha512-5m4nQKp+rZRb09LNH59GM4BxTh9251/ylbKIbpe7TpGxfJ+9kv6BLkLBXIjjspbgbnIBNqlI23tRnTWT0snUIw==",
        files=(("package/umd/react-dom.production.min.js", "react-dom.production.min.js"),),
    ),
)

# Vendored file name -> version, used by the page as a cache-busting query string.
VENDORED_FILES: dict[str, str] = {
    name: package.spec.rsplit("@", 1)[1] for package in PACKAGES for _, name in package.files
}

NPM_TIMEOUT_S = 300


class AssetsError(RuntimeError):
    """The assets could not be fetched; the message says what to do."""


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _expected_manifest_header() -> dict[str, object]:
    return {
        "format": MANIFEST_FORMAT,
        "packages": {package.spec: package.integrity for package in PACKAGES},
    }


def assets_present(dest: Path = VENDOR_DIR) -> bool:
    """True when every vendored file (and its .gz twin) matches the manifest's checksums."""
    try:
        manifest = json.loads((dest / MANIFEST_NAME).read_text())
    except (OSError, ValueError):
        return False
    if not isinstance(manifest, dict):
        return False
    if any(manifest.get(key) != value for key, value in _expected_manifest_header().items()):
        return False
    files = manifest.get("files")
    expected_names = {n for name in VENDORED_FILES for n in (name, f"{name}.gz")}
    if not isinstance(files, dict) or set(files) != expected_names:
        return False
    try:
        return all(_sha256(dest / name) == digest for name, digest in files.items())
    except OSError:
        return False


def _npm_pack(npm: str, workdir: Path) -> dict[str, Path]:
    """Download the pinned tarballs into workdir; returns spec -> tarball path."""
    command = [npm, "pack", "--json", "--silent", *(p.spec for p in PACKAGES)]
    try:
        result = subprocess.run(
            command,
            cwd=workdir,
            capture_output=True,
            text=True,
            timeout=NPM_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise AssetsError(f"npm pack timed out after {NPM_TIMEOUT_S}s") from exc
    if result.returncode != 0:
        raise AssetsError(f"npm pack failed ({result.returncode}): {result.stderr.strip()}")
    try:
        packed = json.loads(result.stdout)
    except ValueError as exc:
        raise AssetsError(f"npm pack printed no JSON: {result.stdout[:200]!r}") from exc
    # npm answers in argument order, one object per spec.
    tarballs: dict[str, Path] = {}
    for package, info in zip(PACKAGES, packed, strict=True):
        if info.get("integrity") != package.integrity:
            raise AssetsError(
                f"{package.spec}: registry integrity {info.get('integrity')!r} "
                f"does not match the pinned {package.integrity!r}"
            )
        tarballs[package.spec] = workdir / str(info["filename"])
    return tarballs


def _extract(tarball: Path, member: str, target: Path) -> None:
    # Read named members only (never extractall), so a hostile tarball cannot write elsewhere.
    with tarfile.open(tarball, "r:gz") as archive:
        source = archive.extractfile(member)
        if source is None:
            raise AssetsError(f"{tarball.name} has no file {member}")
        with source, target.open("wb") as out:
            shutil.copyfileobj(source, out)


def fetch_assets(dest: Path = VENDOR_DIR, *, force: bool = False, npm: str | None = None) -> Path:
    """Vendor GraphiQL and React into dest and return it.

    Idempotent: when dest already holds the pinned files with matching checksums nothing is
    downloaded (unless force). Raises AssetsError when npm is missing or the download fails.
    """
    if not force and assets_present(dest):
        return dest
    npm_path = npm or shutil.which("npm")
    if npm_path is None:
        raise AssetsError(
            "npm not found on PATH: install Node.js 20+ (Debian: apt-get install nodejs npm) "
            "to fetch GraphiQL's assets, then run `crossfade assets fetch` again"
        )
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crossfade-assets-") as tmp:
        workdir = Path(tmp)
        tarballs = _npm_pack(npm_path, workdir)
        staged = workdir / "staged"
        staged.mkdir()
        for package in PACKAGES:
            for member, name in package.files:
                _extract(tarballs[package.spec], member, staged / name)
                # Pre-compressed twins: graphiql.min.js is 3.5 MB and compresses ~5x; doing
                # it once here beats gzipping on every request.
                raw = (staged / name).read_bytes()
                (staged / f"{name}.gz").write_bytes(gzip.compress(raw, 9, mtime=0))
        files = {path.name: _sha256(path) for path in sorted(staged.iterdir())}
        # os.replace per file keeps a running gateway from reading a half-written asset.
        for name in files:
            os.replace(staged / name, dest / name)
    manifest = {**_expected_manifest_header(), "files": files}
    (dest / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return dest


def main_fetch(argv: Sequence[str] | None = None) -> int:
    """`crossfade assets fetch [--dest DIR] [--force]`; returns the exit status."""
    parser = argparse.ArgumentParser(prog="crossfade assets fetch")
    parser.add_argument("--dest", type=Path, default=VENDOR_DIR, help="vendor directory")
    parser.add_argument("--force", action="store_true", help="download even when up to date")
    args = parser.parse_args(argv)
    dest: Path = args.dest
    force: bool = args.force
    was_present = not force and assets_present(dest)
    try:
        fetch_assets(dest, force=force)
    except AssetsError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    state = "up to date" if was_present else "fetched"
    print(f"GraphiQL {GRAPHIQL_VERSION} assets {state} in {dest}")
    return 0
