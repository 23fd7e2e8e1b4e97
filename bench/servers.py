"""The processes a bench run starts on loopback (gateway, backends, ceiling), their readiness,
and the CPU time each has used, read from /proc."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from backends.names import BACKENDS
from tests.support.loopback import free_port

REPO = Path(__file__).resolve().parents[1]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process, all its threads (utime + stime of /proc/PID/stat)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    # The command name (field 2) may hold spaces; the fields after its ")" are fixed.
    fields = stat[stat.rindex(")") + 2 :].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / CLOCK_TICKS


def http_get(url: str, timeout: float = 10) -> bytes:
    with urllib.request.urlopen(url, timeout=timeout) as response:
        body: bytes = response.read()
        return body


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.process.pid

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def wait_ready(self, path: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                tail = self.log.read_text(errors="replace")[-3000:]
                raise RuntimeError(f"{self.name} exited ({self.process.returncode}):\n{tail}")
            try:
                http_get(f"{self.url}{path}", timeout=2)
                return
            except (OSError, urllib.error.URLError):
                time.sleep(0.1)
        raise TimeoutError(f"{self.name} not ready at {self.url}{path} after {timeout_s}s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)


def wait_idle(servers: Iterable[Server], quiet_s: float = 0.3, timeout_s: float = 60) -> None:
    """Until the servers have used (almost) no CPU for ``quiet_s``.

    When wrk stops, the requests it leaves in flight still run to the end in the gateway (a
    closed connection does not cancel them); waiting for them puts their work and their
    backend calls inside the run that caused them, next to the operations counted.
    """
    group = list(servers)
    tick = 1.5 / CLOCK_TICKS
    deadline = time.monotonic() + timeout_s
    last = sum(s.cpu_seconds() for s in group)
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.1)
        now = sum(s.cpu_seconds() for s in group)
        if now - last > tick:
            quiet_since = time.monotonic()
        last = now
        if time.monotonic() - quiet_since >= quiet_s:
            return


def _spawn(name: str, command: list[str], env: Mapping[str, str], logs: Path) -> Server:
    port = free_port()
    log = logs / f"{name}.log"
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, "--port", str(port)],
            env=dict(env),
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return Server(name, f"http://127.0.0.1:{port}", process, log)


def crossfade() -> str:
    script = Path(sys.executable).parent / "crossfade"
    return str(script) if script.exists() else "crossfade"


def start_gateway(env: Mapping[str, str], logs: Path) -> Server:
    """``crossfade serve``: one uvicorn process, ready when /readyz says data, model and every
    backend are up."""
    server = _spawn("gateway", [crossfade(), "serve", "--host", "127.0.0.1"], env, logs)
    try:
        server.wait_ready("/readyz", timeout_s=180)
    except BaseException:
        server.stop()
        raise
    return server


def start_backends(env: Mapping[str, str], logs: Path) -> dict[str, Server]:
    """The four reference backends as processes (``crossfade backend NAME``)."""
    servers: dict[str, Server] = {
        name: _spawn(name, [crossfade(), "backend", name, "--host", "127.0.0.1"], env, logs)
        for name in BACKENDS
    }
    try:
        for server in servers.values():
            server.wait_ready("/healthz", timeout_s=120)
    except BaseException:
        stop_all(servers.values())
        raise
    return servers


def backend_urls(servers: Mapping[str, Server]) -> dict[str, str]:
    """The gateway's environment that sends each backend's calls over real HTTP."""
    return {f"CROSSFADE_{name.upper()}_URL": server.url for name, server in servers.items()}


def start_ceiling(bodies: Path, logs: Path) -> Server:
    """bench/ceiling.py under uvicorn with the gateway's captured responses."""
    env = {**os.environ, "CEILING_BODIES": str(bodies), "PYTHONPATH": str(REPO)}
    command = [
        sys.executable, "-m", "uvicorn", "bench.ceiling:app", "--host", "127.0.0.1",
        "--no-access-log", "--log-level", "warning",
    ]  # fmt: skip
    server = _spawn("ceiling", command, env, logs)
    try:
        server.wait_ready("/healthz", timeout_s=60)
    except BaseException:
        server.stop()
        raise
    return server


def stop_all(servers: Iterable[Server]) -> None:
    for server in servers:
        server.stop()
