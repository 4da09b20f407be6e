"""The import contracts of pyproject.toml hold for the code, and each of them does break on a back edge."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _lint_imports() -> str:
    beside = Path(sys.executable).with_name("lint-imports")
    found = str(beside) if beside.exists() else shutil.which("lint-imports")
    assert found, "lint-imports is missing: install the test extras (pip install -e '.[test]')"
    return found


def _run(cwd: Path, *, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run(
        [_lint_imports(), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _contracts_section() -> str:
    """[tool.importlinter] and its contracts, as written in the project's pyproject.toml."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    start = text.index("[tool.importlinter]")
    section, rest = text[start:], []
    for line in section.splitlines():
        if line.startswith("[") and "importlinter" not in line:
            break
        rest.append(line)
    return "\n".join(rest) + "\n"


def test_the_code_keeps_its_import_contracts() -> None:
    result = _run(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr


def _tree(base: Path, extra: dict[str, str]) -> Path:
    """A miniature bot/handlers/storage whose adapters use their SDKs where they may."""
    files = {
        "bot/__init__.py": "",
        "bot/api/__init__.py": "",
        "bot/slack/__init__.py": "import slack_bolt\nimport slack_sdk\n",
        "bot/teams/__init__.py": "import microsoft_teams.cards\n",
        # The stand-ins the protected contracts name as allowed importers must exist in the graph.
        "bot/standins/__init__.py": "",
        "bot/standins/slack/__init__.py": "import slack_sdk\n",
        "bot/standins/teams/__init__.py": "import microsoft_teams.cards\n",
        "handlers/__init__.py": "",
        "handlers/model.py": "import storage\n",
        "handlers/alerts.py": "import handlers.model\n",
        "storage/__init__.py": "",
        "pyproject.toml": _contracts_section(),
        **extra,
    }
    for name, content in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content, encoding="utf-8")
    return base


def test_a_tree_without_back_edges_passes(tmp_path: Path) -> None:
    tree = _tree(tmp_path, {})

    result = _run(tree, pythonpath=tree)

    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize(
    ("extra", "broken"),
    [
        ({"storage/rows.py": "import handlers.model\n"}, "Layers: bot above handlers above storage"),
        ({"handlers/intake.py": "import bot.api\n"}, "Layers: bot above handlers above storage"),
        ({"handlers/gateway.py": "import httpx\n"}, "handlers and storage speak no SOAP, HTTP or chat SDK"),
        ({"storage/soap.py": "import zeep\n"}, "handlers and storage speak no SOAP, HTTP or chat SDK"),
        ({"bot/api/notify.py": "import slack_sdk\n"}, "Only bot.slack uses the Slack SDKs"),
        ({"bot/api/cards.py": "import microsoft_teams.cards\n"}, "Only bot.teams uses the Teams SDK"),
        ({"handlers/model.py": "import handlers.alerts\n"}, "No import cycles between the modules of handlers"),
    ],
    ids=["storage-to-handlers", "handlers-to-bot", "handlers-httpx", "storage-zeep", "slack-sdk-outside",
         "teams-sdk-outside", "cycle-in-handlers"],
)
def test_a_back_edge_breaks_its_contract(tmp_path: Path, extra: dict[str, str], broken: str) -> None:
    tree = _tree(tmp_path, extra)

    result = _run(tree, pythonpath=tree)

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{broken} BROKEN" in result.stdout, result.stdout
