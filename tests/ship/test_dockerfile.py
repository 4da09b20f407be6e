"""The Dockerfile passes hadolint and keeps the promises an operator reads in it."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

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
