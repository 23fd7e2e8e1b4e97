"""The Dockerfile's shape, and its build replayed without Docker by scripts/docker_steps.sh."""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass, field

import pytest

from tests.support.repo import REPO

DOCKERFILE = REPO / "Dockerfile"
DOCKER_STEPS = REPO / "scripts" / "docker_steps.sh"
SKIP_MARKER = re.compile(r"#\s*docker_steps:\s*skip\s*\((.+)\)")


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    skip_reason: str | None = None


@dataclass
class Stage:
    base: str
    name: str
    instructions: list[Instruction] = field(default_factory=list)

    def args_of(self, keyword: str) -> list[str]:
        return [i.args for i in self.instructions if i.keyword == keyword]


def parse_dockerfile(text: str) -> tuple[dict[str, str], list[Stage]]:
    """Global ARG defaults and the stages, with continuation lines joined."""
    global_args: dict[str, str] = {}
    stages: list[Stage] = []
    pending = ""
    skip_reason: str | None = None
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            marker = SKIP_MARKER.match(line)
            skip_reason = marker.group(1) if marker else skip_reason
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = (pending + line).strip(), ""
        if not line:
            continue
        keyword, _, args = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            base, _, name = args.partition(" AS ")
            stages.append(Stage(base=base.strip(), name=name.strip()))
        elif keyword == "ARG" and not stages:
            key, _, default = args.partition("=")
            global_args[key] = default
        else:
            stages[-1].instructions.append(Instruction(keyword, args, skip_reason))
        skip_reason = None
    return global_args, stages


@pytest.fixture(scope="module")
def dockerfile() -> tuple[dict[str, str], dict[str, Stage]]:
    global_args, stages = parse_dockerfile(DOCKERFILE.read_text())
    return global_args, {stage.name: stage for stage in stages}


def base_image(global_args: dict[str, str], stage: Stage) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda m: global_args[m.group(1)], stage.base)


def test_build_is_multi_stage_and_ships_a_slim_python_runtime(
    dockerfile: tuple[dict[str, str], dict[str, Stage]],
) -> None:
    global_args, stages = dockerfile
    _, *_, runtime = stages.values()

    assert list(stages) == ["node", "builder", "data", "assets", "training", "runtime"]
    assert base_image(global_args, stages["builder"]) == "python:3.11-slim"
    assert base_image(global_args, runtime) == "python:3.11-slim"
    assert stages["data"].base == stages["assets"].base == "builder"


def test_node_is_only_in_the_assets_stage(
    dockerfile: tuple[dict[str, str], dict[str, Stage]],
) -> None:
    _, stages = dockerfile

    for name, stage in stages.items():
        copies_node = any("--from=node" in args for args in stage.args_of("COPY"))
        assert copies_node == (name == "assets"), name
    assert stages["runtime"].args_of("COPY") == [
        "--from=assets /opt/venv /opt/venv",
        "--from=data --chown=10001:10001 /var/lib/crossfade /var/lib/crossfade",
    ]


def test_data_model_and_assets_are_built_at_image_build_time(
    dockerfile: tuple[dict[str, str], dict[str, Stage]],
) -> None:
    _, stages = dockerfile

    assert stages["builder"].args_of("RUN")[-1] == "pip install --quiet ."
    assert stages["data"].args_of("RUN") == ["crossfade data build", "crossfade train"]
    assert stages["assets"].args_of("RUN")[-1] == "crossfade assets fetch"


def test_training_target_adds_spark_and_java_to_the_builder_only(
    dockerfile: tuple[dict[str, str], dict[str, Stage]],
) -> None:
    _, stages = dockerfile
    training = stages["training"]

    assert training.base == "builder"
    assert training.args_of("RUN") == ["bash scripts/java.sh", "pip install --quiet '.[spark]'"]
    (cmd,) = training.args_of("CMD")
    assert json.loads(cmd) == ["crossfade", "train", "--engine", "spark"]
    # The runtime copies the assets stage's venv, which never installs the spark extra.
    assert not any("spark" in run for run in stages["assets"].args_of("RUN"))
    assert not any("--from=training" in c for c in stages["runtime"].args_of("COPY"))


def test_runtime_runs_as_a_non_root_user_with_a_health_check(
    dockerfile: tuple[dict[str, str], dict[str, Stage]],
) -> None:
    _, stages = dockerfile
    runtime = stages["runtime"]

    (user,) = runtime.args_of("USER")
    assert user.split(":")[0] not in ("root", "0")
    assert runtime.args_of("EXPOSE") == ["8000"]
    (healthcheck,) = runtime.args_of("HEALTHCHECK")
    probe = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert probe[:2] == ["python", "-c"]
    assert "urllib.request" in probe[2] and "http://127.0.0.1:8000/healthz" in probe[2]
    (cmd,) = runtime.args_of("CMD")
    assert json.loads(cmd) == ["crossfade", "serve", "--host", "0.0.0.0", "--port", "8000"]


@pytest.mark.slow  # runs scripts/docker_steps.sh as a process
def test_docker_steps_runs_exactly_the_dockerfiles_run_lines(
    dockerfile: tuple[dict[str, str], dict[str, Stage]],
) -> None:
    _, stages = dockerfile
    runs = [i for stage in stages.values() for i in stage.instructions if i.keyword == "RUN"]

    listed = subprocess.run(
        ["bash", str(DOCKER_STEPS), "--list"], capture_output=True, text=True, check=True
    ).stdout.splitlines()

    assert listed == [i.args for i in runs if i.skip_reason is None]
    # Only system set-up may be left out of the replay, and each says why.
    skipped = [i.args for i in runs if i.skip_reason is not None]
    assert len(skipped) == 2
    assert skipped[0].startswith("ln -s ../lib/node_modules/npm")
    assert skipped[1].startswith("groupadd --system")


def test_dockerignore_keeps_local_state_out_of_the_context() -> None:
    ignored = set((REPO / ".dockerignore").read_text().split())

    assert {".git", ".venv", "data", "gateway/static/vendor", "*.egg-info"} <= ignored


@pytest.mark.slow
def test_docker_steps_build_serve_and_pass_the_health_check() -> None:
    # Fresh venv from PyPI, full data build, training and the npm fetch: minutes, not seconds.
    result = subprocess.run(
        ["bash", str(DOCKER_STEPS)], capture_output=True, text=True, timeout=1500, check=False
    )

    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    assert "HEALTHCHECK passed" in result.stdout
