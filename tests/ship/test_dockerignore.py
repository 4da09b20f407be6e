"""The build context docker would send (.dockerignore as docker reads it) holds the sources the
Dockerfile copies and nothing else: no .venv, .git, databases, keys or settings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.ship.recipe import context, ignored, instructions, read_patterns

ROOT = Path(__file__).resolve().parents[2]
# The sources are under 1 MB; the .venv alone was 287 MB.
MAX_CONTEXT_BYTES = 3_000_000


@pytest.mark.parametrize(
    ("patterns", "path", "expected"),
    [
        # docker matches from the context's root: "*.db" is a top-level file only ...
        ("*.db", "tokendesk.db", True),
        ("*.db", "data/tokendesk.db", False),
        # ... and "**/" reaches any depth, the top level included.
        ("**/*.db", "data/sub/tokendesk.db", True),
        ("**/*.db", "tokendesk.db", True),
        # An excluded directory takes what is under it; a leading or trailing slash changes nothing.
        (".venv", ".venv/lib/python3.11/site-packages/zeep/__init__.py", True),
        ("/dist/", "dist/tokendesk-0.1.0.tar.gz", True),
        ("*/temp*", "somedir/temporary.txt", True),
        ("*/temp*", "somedir/sub/temporary.txt", False),
        ("temp?", "tempa", True),
        ("temp?", "temp/a", False),
        # The last match wins; "!" takes a path back in, and a later pattern can drop it again.
        ("*\n!bot/", "bot/app.py", False),
        ("*\n!bot/", "handlers/intake.py", True),
        ("*\n!bot/\n**/__pycache__", "bot/__pycache__/app.cpython-311.pyc", True),
        ("**/*.py[cod]", "bot/app.pyc", True),
        ("**/*.py[cod]", "bot/app.py", False),
        ("# *\n\n  ", "anything", False),
    ],
)
def test_patterns_match_as_docker_matches_them(patterns: str, path: str, expected: bool) -> None:
    assert ignored(path, read_patterns(patterns)) is expected


def _tree(root: Path, files: list[str]) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")


def test_context_leaves_out_what_a_working_tree_accumulates(tmp_path: Path) -> None:
    shutil.copy(ROOT / ".dockerignore", tmp_path / ".dockerignore")
    sources = [
        "Dockerfile", "pyproject.toml", "README.md", "LICENSE", "bot/__init__.py", "bot/nmbrs/wsdl/DebtorService.wsdl",
        "bot/teams/schema/MicrosoftTeams.v1.24.schema.json", "handlers/intake.py", "storage/migrations/script.py.mako",
        "storage/migrations/versions/0001_initial_schema.py",
    ]
    accumulated = [
        ".venv/lib/python3.11/site-packages/zeep/__init__.py", ".venv/bin/tokendesk", ".git", ".gitignore",
        ".env", ".env.example", "tokendesk.db", "tokendesk.db-wal", "tokendesk.db.keys", "dist/tokendesk-0.1.0.tar.gz",
        "build/lib/bot/app.py", "tokendesk.egg-info/PKG-INFO", ".pytest_cache/v/cache/lastfailed",
        "tests/conftest.py", "tests/__pycache__/conftest.cpython-311.pyc", "bench/rows.csv", "bench/intake.py",
        "tokendesk-try/tokendesk.db", "tokendesk-try/tokendesk.db.keys", "compose.yaml", "manifest.yml",
        # The same things inside the sources themselves: an operator's run from bot/, a stray key.
        "bot/__pycache__/app.cpython-311.pyc", "bot/tokendesk.db", "bot/tokendesk.db-shm", "storage/tokendesk.db.keys",
        "handlers/.env", "storage/k1.key", "bot/tokendesk.egg-info/PKG-INFO",
    ]
    _tree(tmp_path, sources + accumulated)
    assert set(context(tmp_path)) == set(sources) | {".dockerignore"}


def test_without_the_ignore_file_the_venv_would_go(tmp_path: Path) -> None:
    _tree(tmp_path, ["Dockerfile", ".venv/bin/python", ".env"])
    assert set(context(tmp_path)) == {"Dockerfile", ".venv/bin/python", ".env"}


def test_real_context_is_small_and_holds_what_the_dockerfile_copies() -> None:
    sent = context(ROOT)
    assert sum(sent.values()) < MAX_CONTEXT_BYTES, sorted(sent.items(), key=lambda item: -item[1])[:10]
    assert {path.split("/")[0] for path in sent} <= {
        "Dockerfile", ".dockerignore", "pyproject.toml", "README.md", "LICENSE", "bot", "handlers", "storage",
    }
    copied = [
        source
        for step in instructions((ROOT / "Dockerfile").read_text())
        if step.keyword in ("COPY", "ADD") and "from" not in step.flags
        for source in step.args[:-1]
    ]
    assert copied, "the Dockerfile copies nothing from the context"
    for source in copied:
        source = source.rstrip("/").removeprefix("./")
        assert source in sent or any(path.startswith(source + "/") for path in sent), f"{source} is not in the context"
