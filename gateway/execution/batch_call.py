"""One batch-form call for the parents of a list, and each parent's share of its answers.

The executor (``executor.py``) makes one per field with a batch form when it completes a
list. An answer that needs waiting is handed to the items as a DataLoader would hand it: one
future per item, set by one dispatch task that starts on the loop's next turn after the
first item asks, so the items wait and wake on the same turns as their per-item resolvers
would.
"""

from __future__ import annotations

import asyncio
from typing import Any


class BatchCall:
    """One batch-form call for the parents of a list, and each parent's share of it."""

    __slots__ = ("awaitable", "futures", "name", "result", "size", "started", "task")

    def __init__(self, result: Any, awaitable: bool, size: int = 0, name: str = "") -> None:
        self.result = result  # the answers, the error, or the awaitable of the answers
        self.awaitable = awaitable
        self.size = size
        self.name = name
        self.futures: list[asyncio.Future[Any]] = []
        self.started = False
        self.task: asyncio.Task[None] | None = None

    def share(self, index: int) -> Any:
        """Parent ``index``'s value: its answer, or an awaitable of it."""
        if not self.awaitable:
            if isinstance(self.result, Exception):
                raise self.result
            return self.result[index]
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self.futures.append(future)
        return self._wait(loop, index, future)

    async def _wait(self, loop: asyncio.AbstractEventLoop, index: int, future: Any) -> Any:
        if not self.started:
            # As DataLoader does: the call is dispatched on the next turn of the loop.
            self.started = True
            loop.call_soon(self._start, loop)
        value = await future
        if isinstance(value, list):
            answer = value[index]
            if isinstance(answer, Exception):
                raise answer
            return answer
        raise value

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        self.task = loop.create_task(self._dispatch())

    def close(self) -> None:
        """Drop a call no item came to wait for (their positions were nulled first)."""
        if self.awaitable and not self.started:
            self.started = True
            close_awaitable(self.result)
            for future in self.futures:
                future.cancel()

    async def _dispatch(self) -> None:
        if all(f.cancelled() for f in self.futures):
            close_awaitable(self.result)  # as DataLoader: no call when nobody waits any more
            return
        try:
            answers: Any = list(await self.result)
            if len(answers) != self.size:
                raise miscount(self.name, len(answers), self.size)
        except Exception as exc:
            answers = exc
        for future in self.futures:
            if not future.cancelled():
                future.set_result(answers)


def miscount(name: str, answers: int, parents: int) -> TypeError:
    return TypeError(f"The batch form of {name} answered {answers} values for {parents} parents.")


def close_awaitable(awaitable: Any) -> None:
    close = getattr(awaitable, "close", None)
    if close is not None:
        close()
