"""Real servers as their own processes on loopback, to kill, slow and break: the gateway
(``crossfade serve``) and the reference backends (``crossfade backend NAME``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Self

from backends.names import BACKENDS
from tests.support.loopback import free_port, wait_healthy
from tests.support.repo import REPO

CLI = (sys.executable, "-m", "gateway.cli")


class ServerProcess:
    """A server on a loopback port: ``start`` waits until it answers, ``kill`` drops it with
    no goodbye (connections reset, the port refuses at once), ``start`` again brings it back
    on the same port. Its stderr goes to ``log`` when given: a pipe could fill and block it."""

    def __init__(
        self,
        command: Sequence[str],
        port: int,
        *,
        env: Mapping[str, str],
        log: Path | None = None,
        start_timeout_s: float = 30.0,
    ) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._command = list(command)
        self._env = dict(env)
        self._start_timeout_s = start_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int:
        return self._running().pid

    def launch(self) -> Self:
        """Start the process and return at once (``start_all`` waits for several together)."""
        stderr = self.log.open("ab") if self.log is not None else None
        try:
            self._proc = subprocess.Popen(
                self._command,
                cwd=REPO,
                env=self._env,
                stdout=subprocess.DEVNULL,
                stderr=stderr if stderr is not None else subprocess.DEVNULL,
            )
        finally:
            if stderr is not None:
                stderr.close()  # the child holds its own descriptor
        return self

    @property
    def running(self) -> bool:
        """Started and not exited."""
        return self._proc is not None and self._proc.poll() is None

    def wait_ready(self, deadline: float) -> None:
        wait_healthy(self.url, self._running(), deadline)

    def start(self) -> Self:
        self.launch().wait_ready(time.monotonic() + self._start_timeout_s)
        return self

    def kill(self) -> None:
        """SIGKILL: no graceful shutdown, no flush."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGKILL)
            self._proc.wait(timeout=10)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it does not exit in time."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _running(self) -> subprocess.Popen[bytes]:
        if self._proc is None:
            raise RuntimeError(f"{self._command[:4]} was never started")
        return self._proc


# The ``spawn_backend`` fixture: ``spawn_backend("search", "--inject-latency-ms", "5000")``.
SpawnBackend = Callable[..., ServerProcess]


def backend_process(
    name: str, data_dir: Path | None, *flags: str, log: Path | None = None
) -> ServerProcess:
    """``crossfade backend NAME`` over ``data_dir`` (the default ./data when None), with CLI
    ``flags`` such as ``--inject-latency-ms 5000``."""
    port = free_port()
    return ServerProcess(
        [*CLI, "backend", name, "--port", str(port), *flags],
        port,
        env=_env(data_dir, {}),
        log=log,
    )


def gateway_process(data_dir: Path | None, *, log: Path | None = None, **env: str) -> ServerProcess:
    """``crossfade serve`` over ``data_dir`` with extra ``CROSSFADE_*`` settings in ``env``.

    Its backends run in process unless ``env`` names their URLs: URLs set in the shell that
    runs the tests are dropped, so a developer's environment cannot change what is tested."""
    inherited = {f"CROSSFADE_{name.upper()}_URL" for name in BACKENDS}
    port = free_port()
    return ServerProcess(
        [*CLI, "serve", "--port", str(port)],
        port,
        env=_env(data_dir, env, drop=inherited),
        log=log,
        start_timeout_s=60.0,
    )


def start_all(processes: Iterable[ServerProcess], timeout_s: float = 60.0) -> None:
    """Launch every process, then wait for them all: they start side by side, not in turn.
    If one fails to come up, all are stopped."""
    started = list(processes)
    try:
        for process in started:
            process.launch()
        deadline = time.monotonic() + timeout_s
        for process in started:
            process.wait_ready(deadline)
    except BaseException:
        stop_all(started)
        raise


def stop_all(processes: Iterable[ServerProcess]) -> None:
    for process in processes:
        process.stop()


def _env(
    data_dir: Path | None, extra: Mapping[str, str], drop: frozenset[str] | set[str] = frozenset()
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in drop}
    if data_dir is not None:
        env["CROSSFADE_DATA_DIR"] = str(data_dir)
    return {**env, **extra}
