"""CPU per operation of both execution engines, side by side in one process and one run.

Two gateways (``CROSSFADE_EXECUTOR=standard`` and ``compiled``) over the same data, backends
in process (``httpx.ASGITransport``), rate limits and the response cache off. Each listener
gets one request per engine, interleaved, so both see the same mix of cold and warm shared
caches; the process CPU time (all threads: the in-process backends' too) is summed per engine.

    .venv/bin/python bench/executor_cpu.py [--operation HomeFeed] [--listeners 200]
        [--profile compiled|standard]

With ``--profile`` it also prints the top of a cProfile of that engine over the same
requests (run separately, after the timed pass).

``--counts`` prints, per request and engine, counts that do not depend on the machine's load:
backend calls, event-loop callbacks, DataLoader loads, and the executor's field calls.

``--engine-only`` (HomeFeed) isolates the engines: each listener's Home is resolved once,
then the operation is executed through the schema (Strawberry's parse and validation caches
and extensions included, no HTTP) with ``home`` and ``me`` answering those resolved values,
``--repeat`` times per listener and engine.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import httpx

# tests.support is not installed: it is imported from the checkout this script is in.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from gateway.app import create_app
from gateway.config import Settings
from tests.support.calls import backend_calls
from tests.support.repo import operation
from tests.support.tokens import bearer

ENGINES = ("standard", "compiled")


def variables_for(operation: str, listener: int) -> dict[str, Any]:
    if operation == "Search":
        return {"q": ["love", "rock", "metalica", "queen", "night"][listener % 5]}
    if operation == "Playlist":
        from resolvers.global_id import to_global_id

        return {"id": to_global_id("Playlist", 1 + listener % 500)}
    if operation == "Node":
        from resolvers.global_id import to_global_id

        return {"id": to_global_id("Track", 1 + listener % 5000)}
    return {}


COUNTED = {
    "event-loop callbacks": ("asyncio/events.py", "_run"),
    "DataLoader loads": ("strawberry/dataloader.py", "load"),
    "graphql-core execute_field": ("graphql/execution/executor.py", "execute_field"),
    "graphql-core complete_value": ("graphql/execution/executor.py", "complete_value"),
    "plan execute_fields": ("gateway/execution/executor.py", "execute_fields"),
    "plan complete_value": ("gateway/execution/executor.py", "complete_value"),
    "batch calls": ("gateway/execution/executor.py", "_call_batch"),
}


async def counts(ask: Any, n: int) -> dict[str, float]:
    """Calls per request of the functions in ``COUNTED``, and backend requests."""
    before = backend_calls().total()
    profiler = cProfile.Profile()
    profiler.enable()
    for i in range(n):
        await ask(i)
    profiler.disable()
    out = {"backend calls": (backend_calls().total() - before) / n}
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for label, (file, function) in COUNTED.items():
        calls = sum(
            ncalls
            for (path, _, name), (_, ncalls, *_) in stats.items()
            if path.endswith(file) and name == function
        )
        out[label] = calls / n
    return out


async def engine_only(args: argparse.Namespace) -> None:
    import schema.query as root
    from gateway.graphql_schema import build_schema
    from gateway.services import build_services
    from gateway.upstreams import build_http_clients
    from resolvers.clients.viewer import Viewer
    from resolvers.context import Context
    from resolvers.history import signed_in_user
    from resolvers.home import home

    query = operation("HomeFeed")
    settings = Settings(rate_limit=False)
    services = build_services(settings, build_http_clients(settings))
    services.ranking.reload()
    views: dict[int, Any] = {}
    users: dict[int, Any] = {}
    for i in range(1, args.listeners + 1):
        ctx = Context.build(None, Viewer(i), services)
        views[i] = await home(ctx)
        users[i] = await signed_in_user(ctx)

    async def resolved_home(ctx: Context) -> Any:
        assert ctx.viewer is not None
        return views[ctx.viewer.user_id]

    async def resolved_user(ctx: Context) -> Any:
        assert ctx.viewer is not None
        return users[ctx.viewer.user_id]

    # The root fields call these by their module-level names: answer the resolved values.
    setattr(root, "home", resolved_home)  # noqa: B010
    setattr(root, "signed_in_user", resolved_user)  # noqa: B010
    schemas = {e: build_schema(Settings(executor=e, rate_limit=False)) for e in ENGINES}

    async def run(engine: str, i: int) -> None:
        ctx = Context.build(None, Viewer(i), services)
        result = await schemas[engine].execute(query, context_value=ctx)
        assert not result.errors, result.errors

    for engine in ENGINES:
        await run(engine, 1)
    cpu = dict.fromkeys(ENGINES, 0.0)
    for _ in range(args.repeat):
        for i in range(1, args.listeners + 1):
            for engine in ENGINES if i % 2 else ENGINES[::-1]:
                c0 = time.process_time()
                await run(engine, i)
                cpu[engine] += time.process_time() - c0
    n = args.listeners * args.repeat
    print(f"HomeFeed execution only (resolved Home): {n} executions per engine")
    for engine in ENGINES:
        print(f"  {engine:9s} CPU {1000 * cpu[engine] / n:7.3f} ms/execution")
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(1, args.listeners + 1):
            await run(args.profile, i)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)


async def main(args: argparse.Namespace) -> None:
    if args.engine_only:
        await engine_only(args)
        return
    query = operation(args.operation)
    clients: dict[str, httpx.AsyncClient] = {}
    for engine in ENGINES:
        # No response cache: every request is an execution, which is what is measured.
        app = create_app(Settings(executor=engine, rate_limit=False, response_cache=False))
        app.state.services.ranking.reload()
        clients[engine] = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://gateway.bench"
        )
    # Distinct listeners for the timed pass, the counts and the profile: each is new to the
    # gateway's per-listener caches.
    tokens = [bearer(f"user-{i}") for i in range(1, 4 * args.listeners + 1)]

    async def ask(engine: str, i: int) -> None:
        response = await clients[engine].post(
            "/graphql",
            json={"query": query, "variables": variables_for(args.operation, i)},
            headers=tokens[i],
        )
        assert response.status_code == 200 and "errors" not in response.json(), response.text

    for engine in ENGINES:  # warm-up: imports, plans, the model, shared caches
        for i in range(args.warmup):
            await ask(engine, i)
    cpu = dict.fromkeys(ENGINES, 0.0)
    wall = dict.fromkeys(ENGINES, 0.0)
    for i in range(args.listeners):
        order = ENGINES if i % 2 == 0 else ENGINES[::-1]
        for engine in order:
            c0, w0 = time.process_time(), time.perf_counter()
            await ask(engine, i)
            cpu[engine] += time.process_time() - c0
            wall[engine] += time.perf_counter() - w0
    n = args.listeners
    print(f"{args.operation}: {n} distinct listeners per engine, in-process backends")
    for engine in ENGINES:
        print(
            f"  {engine:9s} CPU {1000 * cpu[engine] / n:7.2f} ms/request"
            f"   wall {1000 * wall[engine] / n:7.2f} ms/request"
        )
    if args.counts:
        for engine in ENGINES:
            offset = n if engine == ENGINES[0] else 2 * n
            per = await counts(lambda i, e=engine, o=offset: ask(e, o + i), n)
            print(
                f"  {engine:9s} per request: " + ", ".join(f"{k} {v:.0f}" for k, v in per.items())
            )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for i in range(n):
            await ask(args.profile, 3 * n + i)
        profiler.disable()
        pstats.Stats(profiler).sort_stats(args.sort).print_stats(args.top)
    for client in clients.values():
        await client.aclose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--operation", default="HomeFeed")
    parser.add_argument("--listeners", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--profile", choices=ENGINES)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--engine-only", action="store_true")
    parser.add_argument("--counts", action="store_true")
    parser.add_argument("--sort", default="tottime", help="cProfile order: tottime, cumulative")
    parser.add_argument("--repeat", type=int, default=5)
    asyncio.run(main(parser.parse_args()))
