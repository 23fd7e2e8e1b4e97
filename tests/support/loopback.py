"""Servers on loopback: a free port, and waiting until a started server answers."""

from __future__ import annotations

import socket
import subprocess
import time

import httpx

POLL_S = 0.05


def free_port() -> int:
    """A port nothing listens on now (the OS picks it; a race is possible but harmless here)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_healthy(url: str, proc: subprocess.Popen[bytes], deadline: float) -> None:
    """Poll ``url``/healthz until it answers 200, the process dies, or ``deadline`` passes."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(POLL_S)
    raise TimeoutError(url)


def wait_accepting(port: int, proc: subprocess.Popen[bytes], deadline: float) -> None:
    """Wait until something accepts TCP connections on ``port``: for servers without HTTP."""
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"port {port}: the process exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(POLL_S)
    raise TimeoutError(f"nothing accepts connections on port {port}")
