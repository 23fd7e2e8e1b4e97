"""wrk, the one load generator for the gateway and the ceiling alike: a script that sends a
file of requests in turn (one listener per line), and the numbers of its output."""

from __future__ import annotations

import math
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}

# Requests are formatted once per thread in init(), so wrk spends the same few instructions on
# each request whatever the body: the client costs the gateway's run what it costs the
# ceiling's. Each thread cycles through its own slice of the file, so no two threads send the
# same line and n requests reach n distinct lines until a thread's slice wraps. (wrk calls
# request() once more on the first thread to check the script; that line goes first.)
ROTATING_SCRIPT = r"""
local thread_count = 0

function setup(thread)
  thread:set("thread_index", thread_count)
  thread_count = thread_count + 1
end

local requests = {}
local first, last, position = 1, 1, 1

function init(args)
  local threads = tonumber(args[2])
  for line in io.lines(args[1]) do
    local tab = line:find("\t", 1, true)
    local headers = {["Content-Type"] = "application/json"}
    local token = line:sub(1, tab - 1)
    if token ~= "" then
      headers["Authorization"] = "Bearer " .. token
    end
    requests[#requests + 1] = wrk.format("POST", nil, headers, line:sub(tab + 1))
  end
  first = math.floor(#requests * thread_index / threads) + 1
  last = math.max(first, math.floor(#requests * (thread_index + 1) / threads))
  position = first
end

function request()
  local formatted = requests[position]
  position = position < last and position + 1 or first
  return formatted
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: str | None


def _duration_ms(text: str) -> float:
    if text == "nan":
        return math.nan
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text)
    if match is None:
        raise ValueError(f"unknown wrk duration {text!r}")
    return float(match.group(1)) * UNIT_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """The numbers of `wrk --latency` output."""
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+),", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    # wrk pads the figures with trailing spaces; with no request done it prints none.
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.M))
    if total is None or rps is None:
        raise ValueError(f"unexpected wrk output:\n{output}")
    if set(percentiles) != {"50", "99"} or int(total.group(1)) == 0:
        percentiles = {"50": "nan", "99": "nan"}  # wrk prints zeros when nothing finished
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.+)", output)
    return WrkResult(
        requests=int(total.group(1)),
        seconds=_duration_ms(total.group(2) + total.group(3)) / 1000,
        rps=float(rps.group(1)),
        p50_ms=_duration_ms(percentiles["50"]),
        p99_ms=_duration_ms(percentiles["99"]),
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=errors.group(1).strip() if errors else None,
    )


@dataclass(frozen=True)
class Load:
    """How hard to push: wrk threads, open connections and seconds."""

    threads: int
    connections: int
    seconds: int  # wrk takes whole seconds


def run_wrk(url: str, requests_file: Path, script: Path, load: Load) -> WrkResult:
    """Closed-loop load on ``url`` from the lines of ``requests_file`` (token TAB body)."""
    threads = min(load.threads, load.connections)
    command = [
        "wrk", f"-t{threads}", f"-c{load.connections}", f"-d{load.seconds}s",
        "--timeout", "10s", "--latency", "-s", str(script), url,
        "--", str(requests_file), str(threads),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=load.seconds + 120, check=True
    )
    return parse_wrk(result.stdout)


def write_script(directory: Path) -> Path:
    path = directory / "rotate.lua"
    path.write_text(ROTATING_SCRIPT)
    return path
