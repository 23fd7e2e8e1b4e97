"""A throwaway real redis-server on a free loopback port: no persistence, its own directory.

Debian's package is the only source (``bash scripts/redis.sh`` installs it; ``make test``
runs that first). On a bare ``pytest`` as root the runner installs it the same way."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from tests.support.loopback import free_port, wait_accepting
from tests.support.process import ServerProcess
from tests.support.repo import REPO

DEBIAN_PATH = "/usr/bin/redis-server"


def find_redis_server(*, install: bool = False) -> str | None:
    """The redis-server binary, or None; with ``install``, root installs it first if missing."""
    found = shutil.which("redis-server") or (
        DEBIAN_PATH if os.access(DEBIAN_PATH, os.X_OK) else None
    )
    if found is None and install and os.geteuid() == 0:
        subprocess.run(["bash", str(REPO / "scripts" / "redis.sh")], check=False)
        found = shutil.which("redis-server")
    return found


class RedisServer(ServerProcess):
    """``redis-server`` on loopback; ready once it accepts connections (it has no /healthz)."""

    def __init__(self, binary: str, workdir: Path) -> None:
        port = free_port()
        command = [
            *(binary, "--bind", "127.0.0.1", "--port", str(port)),
            *("--save", "", "--appendonly", "no", "--dir", str(workdir)),
        ]
        super().__init__(command, port, env=os.environ, start_timeout_s=10.0)
        self.redis_url = f"redis://127.0.0.1:{port}/0"

    def wait_ready(self, deadline: float) -> None:
        wait_accepting(self.port, self._running(), deadline)
