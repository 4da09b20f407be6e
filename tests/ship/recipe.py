"""Reads a Dockerfile's instructions and computes a build context as docker does (.dockerignore), for
the static checks: no daemon runs here and base images cannot be pulled."""

from __future__ import annotations

import os
import posixpath
import re
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    stage: int
    """0 for the first FROM's stage, counting up."""
    keyword: str
    flags: dict[str, str]
    args: list[str]


def instructions(text: str) -> list[Instruction]:
    """The instructions in order, continuation lines joined; comments and blank lines dropped."""
    lines: list[str] = []
    pending = ""
    for raw in text.splitlines():
        stripped = raw.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if pending and stripped.startswith("#"):
            continue  # a comment inside a continued instruction is not part of it
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        lines.append(pending + stripped)
        pending = ""
    result: list[Instruction] = []
    stage = -1
    for line in lines:
        keyword, _, rest = line.partition(" ")
        keyword = keyword.upper()
        if keyword == "FROM":
            stage += 1
        words = _words(rest)
        flags: dict[str, str] = {}
        while words and words[0].startswith("--"):
            name, _, value = words.pop(0)[2:].partition("=")
            flags[name] = value
        result.append(Instruction(stage, keyword, flags, words))
    return result


def _words(rest: str) -> list[str]:
    rest = rest.strip()
    if rest.startswith("["):  # the JSON (exec) form
        return re.findall(r'"((?:[^"\\]|\\.)*)"', rest)
    return shlex.split(rest, posix=True)


# --- .dockerignore, as github.com/moby/patternmatcher reads and matches it ---------------------


@dataclass(frozen=True)
class Pattern:
    text: str
    exclusion: bool
    regex: re.Pattern[str]

    def matches(self, path: str) -> bool:
        """The path itself or one of its parent directories matches: an excluded directory
        takes everything under it."""
        if self.regex.match(path):
            return True
        parts = path.split("/")
        return any(self.regex.match("/".join(parts[:n])) for n in range(1, len(parts)))


def read_patterns(text: str) -> list[Pattern]:
    patterns: list[Pattern] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exclusion = line.startswith("!")
        if exclusion:
            line = line[1:].strip()
        cleaned = posixpath.normpath(line).lstrip("/")
        if cleaned in ("", "."):
            continue
        patterns.append(Pattern(cleaned, exclusion, re.compile(_regex(cleaned))))
    return patterns


def _regex(pattern: str) -> str:
    out = "^"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "*" and pattern[i + 1:i + 2] == "*":
            i += 2
            if pattern[i:i + 1] == "/":
                i += 1  # "**/" is "**": zero or more directories
            out += ".*" if i == len(pattern) else "(.*/)?"
            continue
        if ch == "*":
            out += "[^/]*"
        elif ch == "?":
            out += "[^/]"
        elif ch == "\\" and i + 1 < len(pattern):
            i += 1
            out += re.escape(pattern[i])
        elif ch in "[]":
            out += ch  # a character class, as Go's filepath.Match has it
        else:
            out += re.escape(ch)
        i += 1
    return out + "$"


def ignored(path: str, patterns: list[Pattern]) -> bool:
    """The last pattern that matches decides; a `!pattern` takes a path back in."""
    excluded = False
    for pattern in patterns:
        if pattern.exclusion == excluded and pattern.matches(path):
            excluded = not pattern.exclusion
    return excluded


def context(root: Path) -> dict[str, int]:
    """Every file docker would send from `root` (relative POSIX path -> size). The Dockerfile and
    .dockerignore always go, whatever the patterns say."""
    ignore = root / ".dockerignore"
    patterns = read_patterns(ignore.read_text()) if ignore.exists() else []
    sent: dict[str, int] = {}
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            relative = path.relative_to(root).as_posix()
            if relative in ("Dockerfile", ".dockerignore") or not ignored(relative, patterns):
                sent[relative] = path.lstat().st_size
    return sent
