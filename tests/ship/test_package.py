"""The sdist and wheel build, pass `twine check --strict`, and carry the licence and every data file
the code opens at run time (WSDL, the Teams schema, the migrations, the stand-ins)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tarfile
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent

# The source files a wheel must carry, by the directory they live in and the names that count.
DATA = {
    "bot/nmbrs/wsdl": ("*.wsdl",),
    "bot/teams/schema": ("*.json",),
    "bot/pages": ("templates/*.html", "static/*.css"),
    "storage/migrations": ("*.py", "*.mako", "*.ini"),
}
# What a fresh checkout does not have (.gitignore's list, and the worktree's .git file).
LEFT_BEHIND = (".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache",
               "*.db", "*.db-wal", "*.db-shm", "*.key", "*.keys", ".env", "tokendesk-try")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # From a clean copy: setuptools would otherwise pick up files listed in a stale egg-info or
    # build/ of the working tree, and pass a check that a fresh checkout fails.
    source = tmp_path_factory.mktemp("src") / "tokendesk"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*LEFT_BEHIND))
    # Without isolation: an isolated build would fetch setuptools from the network; the test extra
    # installs a setuptools that satisfies [build-system].
    result = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
        capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return out


def _one(dist: Path, pattern: str) -> Path:
    [found] = dist.glob(pattern)
    return found


def _expected(directory: str, patterns: tuple[str, ...]) -> set[str]:
    base = ROOT / directory
    return {
        path.relative_to(ROOT).as_posix()
        for pattern in patterns
        for path in base.rglob(pattern)
        if "__pycache__" not in path.parts
    }


def test_twine_check_strict_passes(dist: Path) -> None:
    files = sorted(str(path) for path in dist.iterdir())
    assert len(files) == 2, files
    result = subprocess.run([str(BIN / "twine"), "check", "--strict", *files], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("PASSED") == 2, result.stdout


def test_metadata_names_licence_authors_and_readme(dist: Path) -> None:
    with zipfile.ZipFile(_one(dist, "*.whl")) as wheel:
        [name] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(wheel.read(name).decode())
    assert metadata["Name"] == "tokendesk"
    assert "Apache-2.0" in (metadata.get("License-Expression") or metadata.get("License") or "")
    assert metadata["Author"] == "tokendesk contributors" or "tokendesk contributors" in metadata["Author-email"]
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload().startswith("# tokendesk")
    assert metadata["License-File"] == "LICENSE"
    classifiers = metadata.get_all("Classifier")
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert any(c.startswith("Development Status ::") for c in classifiers)


def test_wheel_carries_licence_data_files_and_console_script(dist: Path) -> None:
    with zipfile.ZipFile(_one(dist, "*.whl")) as wheel:
        names = set(wheel.namelist())
        [entry_points] = [n for n in names if n.endswith(".dist-info/entry_points.txt")]
        scripts = wheel.read(entry_points).decode()
    licences = [n for n in names if n.endswith("/LICENSE") and ".dist-info/" in n]
    assert licences, sorted(n for n in names if ".dist-info/" in n)
    expected = set().union(*(_expected(d, p) for d, p in DATA.items()))
    assert {n for n in expected if n.endswith(".wsdl")} and {n for n in expected if n.endswith(".json")}
    assert {n for n in expected if "/migrations/versions/" in n}
    # The stand-ins move into bot/standins/ (try mode and benchmarks run them from an install).
    standins = ROOT / "bot" / "standins"
    if standins.is_dir():
        expected |= {
            path.relative_to(ROOT).as_posix()
            for path in standins.rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith("README")
        }
    assert expected - names == set()
    assert "\ntokendesk = " in "\n" + scripts.split("[console_scripts]", 1)[1]
    # Nothing of the working tree rides along: no tests, caches, databases or keys.
    stray = [n for n in names if n.startswith("tests/") or "__pycache__" in n or n.endswith((".db", ".keys", ".pyc"))]
    assert stray == []


def test_sdist_carries_licence_and_readme(dist: Path) -> None:
    with tarfile.open(_one(dist, "*.tar.gz")) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    assert {"LICENSE", "README.md", "pyproject.toml", "PKG-INFO"} <= names
    assert (ROOT / "LICENSE").read_text().lstrip().startswith("Apache License")
    assert "Copyright 2026 tokendesk contributors" in (ROOT / "LICENSE").read_text()
