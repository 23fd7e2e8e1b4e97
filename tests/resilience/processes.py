"""Real reference backends as their own processes on loopback, to kill, slow and break."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.processes import free_port, wait_healthy

REPO = Path(__file__).resolve().parents[2]


class BackendProcess:
    """``crossfade backend NAME --port P [flags]``; start, SIGKILL and start again."""

    def __init__(self, name: str, data_dir: Path, *flags: str) -> None:
        self.name = name
        self.flags = flags
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, "CROSSFADE_DATA_DIR": str(data_dir)}
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout_s: float = 30.0) -> BackendProcess:
        self._proc = subprocess.Popen(
            [
                *(sys.executable, "-m", "gateway.cli", "backend", self.name),
                *("--port", str(self.port), *self.flags),
            ],
            cwd=REPO,
            env=self._env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_healthy(self.url, self._proc, time.monotonic() + timeout_s)
        return self

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, connections drop, the port refuses at once."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=10)

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
