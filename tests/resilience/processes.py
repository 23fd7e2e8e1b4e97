"""Real reference backends as their own processes on loopback, to kill, slow and break."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise RuntimeError(f"{self.name} backend exited with {self._proc.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise TimeoutError(f"{self.name} backend not healthy after {timeout_s}s")

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
