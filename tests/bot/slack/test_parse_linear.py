"""Finding credentials stays linear in the message length (issue 12, finding 1): every pattern that
runs on inbound text (handlers.parse, bot.slack.inbound, bot.teams.inbound, the command split in handlers.commands.parser) has a shape that cannot backtrack
quadratically, and the linear helpers find what the plain regex search would.

No clock here: the shapes are what bound the work. bench/parse.py measures the times."""

from __future__ import annotations

import random
import re
import re._constants as sre  # noqa: PLC2701 - the parsed form of a pattern is what is checked
import re._parser as sre_parse  # noqa: PLC2701
from pathlib import Path
from typing import Any

import pytest

from bot.slack import inbound as slack_inbound
from bot.teams import inbound
from handlers import parse
from handlers.commands import parser as commands

#: Patterns only ever matched at one position (match/fullmatch): one start, so rule 3 is moot.
ANCHORED = {(parse, "_EMAIL"), (parse, "_TOKEN_CHARS"), (commands, "_FIRST_WORD")}
SAMPLE = [chr(c) for c in range(32, 127)] + list("\t\n\r“”„‘’é")
UNBOUNDED = sre.MAXREPEAT
REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)
ZERO_WIDTH = (sre.AT, sre.ASSERT, sre.ASSERT_NOT)


def patterns() -> list[tuple[Any, str, re.Pattern[str]]]:
    found = []
    for module in (parse, slack_inbound, inbound, commands):
        for name, value in vars(module).items():
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, re.Pattern):
                    found.append((module, name, item))
    return found


def _compile(items: list[Any], flags: int) -> re.Pattern[str]:
    sub = sre_parse.SubPattern(sre_parse.State(), list(items))
    sub.state.flags = flags
    return re._compiler.compile(sub, flags)  # type: ignore[attr-defined]


def chars(items: list[Any], flags: int) -> set[str]:
    """The sample characters any single-character element in `items` (at any depth) can take."""
    out: set[str] = set()
    for op, av in items:
        if op in (sre.LITERAL, sre.NOT_LITERAL, sre.IN, sre.ANY):
            matcher = _compile([(op, av)], flags)
            out |= {c for c in SAMPLE if matcher.fullmatch(c)}
        elif op in REPEATS:
            out |= chars(list(av[2]), flags)
        elif op == sre.SUBPATTERN:
            out |= chars(list(av[3]), flags)
        elif op == sre.ATOMIC_GROUP:
            out |= chars(list(av), flags)
        elif op == sre.BRANCH:
            for branch in av[1]:
                out |= chars(list(branch), flags)
    return out


def first_chars(items: list[Any], flags: int) -> set[str]:
    """Characters a match of `items` can begin with."""
    out: set[str] = set()
    for op, av in items:
        if op in ZERO_WIDTH:
            continue
        if op in REPEATS:
            out |= first_chars(list(av[2]), flags)
            if av[0] == 0:
                continue
            return out
        if op == sre.SUBPATTERN:
            return out | first_chars(list(av[3]), flags)
        if op == sre.BRANCH:
            return out.union(*(first_chars(list(b), flags) for b in av[1]))
        return out | chars([(op, av)], flags)
    return out


def _unbounded(op: Any, av: Any) -> bool:
    return op in REPEATS and av[1] == UNBOUNDED


def _inner_repeats(items: list[Any]) -> list[tuple[Any, Any]]:
    found = []
    for op, av in items:
        if op in REPEATS and av[1] > 1:
            found.append((op, av))
        if op in REPEATS:
            found += _inner_repeats(list(av[2]))
        elif op == sre.SUBPATTERN:
            found += _inner_repeats(list(av[3]))
        elif op == sre.BRANCH:
            for branch in av[1]:
                found += _inner_repeats(list(branch))
    return found


def _body(op: Any, av: Any) -> list[Any]:
    return list(av[2]) if op in REPEATS else list(av[3]) if op == sre.SUBPATTERN else []


def problems(pattern: re.Pattern[str], searched: bool) -> list[str]:
    flags = pattern.flags
    tree = list(sre_parse.parse(pattern.pattern, flags))
    found: list[str] = []
    anchored = bool(tree) and tree[0] == (sre.AT, sre.AT_BEGINNING)
    branches = [list(b) for b in tree[0][1][1]] if len(tree) == 1 and tree[0][0] == sre.BRANCH else [tree]

    def walk(items: list[Any], final: bool, start: set[str], run_class: set[str] | None) -> None:
        for index, (op, av) in enumerate(items):
            last = final and index == len(items) - 1
            if _unbounded(op, av):
                body = list(av[2])
                # Rule 1: a repeat inside an unbounded one only when a separator it cannot take leads.
                for inner in _inner_repeats(body):
                    lead = chars(body[:1], flags) if body and body[0][0] in (sre.LITERAL, sre.IN) else set()
                    if not lead or lead & chars(list(inner[1][2]), flags):
                        found.append(f"nested quantifier without a separator in {pattern.pattern!r}")
                # Rule 2: what follows over optional parts must not take the same characters.
                if op != sre.POSSESSIVE_REPEAT:
                    mine = chars(body, flags)
                    for next_op, next_av in items[index + 1:]:
                        if next_op in ZERO_WIDTH:
                            continue
                        target = next_av if next_op in REPEATS else None
                        if next_op == sre.SUBPATTERN and next_av[3] and next_av[3][0][0] in REPEATS:
                            target = next_av[3][0][1]
                        if target is not None and target[1] == UNBOUNDED and mine & first_chars(list(target[2]), flags):
                            found.append(f"adjacent repeats share characters in {pattern.pattern!r}")
                        if not (next_op in REPEATS and next_av[0] == 0):
                            break
                # Rule 3: a searched pattern's repeat does not read over where another match starts.
                if searched and not anchored and not last:
                    taken = chars(body, flags)
                    exempt = run_class is not None and taken <= run_class
                    if taken & start and not exempt:
                        found.append(f"repeat reads over match starts in {pattern.pattern!r}")
            walk(_body(op, av), last, start, run_class)
            if op == sre.BRANCH:
                for branch in av[1]:
                    walk(list(branch), last, start, run_class)

    for branch in branches:
        run_class = None
        if branch and branch[0][0] == sre.ASSERT_NOT and branch[0][1][0] == -1:
            # (?<!C)C+…: starts only where a run of C starts, and a C-repeat stays in one run.
            run_class = chars(list(branch[0][1][1]), flags)
        walk(branch, True, first_chars(branch, flags), run_class)
    return found


@pytest.mark.parametrize("module,name,pattern", patterns(),
                         ids=[f"{m.__name__}.{n}:{i}" for i, (m, n, _) in enumerate(patterns())])
def test_every_pattern_on_inbound_text_is_linear_in_shape(module: Any, name: str, pattern: re.Pattern[str]) -> None:
    assert problems(pattern, searched=(module, name) not in ANCHORED) == []


def test_anchored_patterns_are_never_searched() -> None:
    for module, name in ANCHORED:
        source = Path(module.__file__).read_text()
        assert not re.search(rf"\b{name}\.(?:search|sub|finditer|findall|split)\(", source), name


def test_the_checker_finds_the_shapes_that_were_slow() -> None:
    # The patterns issue 12 found quadratic, as they were: each breaks a rule.
    slow = [r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
            r"\b[a-z][a-z0-9+.-]*://\S+",
            r"\btoken\b\s*(?P<sep>[:=])?\s*(?P<value>\S+)",
            r"```(.*?)```",
            r"<at\b[^>]*>.*?</at>",
            r"</?[a-z][a-z0-9]*\b[^<>]*>",
            r"(a+)+b"]
    for source in slow:
        assert problems(re.compile(source, re.IGNORECASE), searched=True), source


def _texts(count: int) -> list[str]:
    pieces = list("aZ09._%+'-@:/ \n`\"“<>|&;=~!,)") + [
        "token", "://", "```", "@b.nl", "http", "a1b2c3d4e5f6", "is ", "==", "<at>", "</at>", "<code>", "</code>"]
    rng = random.Random(12)
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 30))) for _ in range(count)]


def test_the_linear_helpers_find_what_the_plain_search_finds() -> None:
    for text in _texts(3000):
        assert parse._without_emails(text) == parse._EMAIL.sub(" ", text), text
        assert parse._without_urls(text) == parse._URL.sub(" ", text), text
        spans: list[str] = []
        assert parse._without_fences(text, spans) == re.sub(r"```(.*?)```", " ", text, flags=re.DOTALL), text
        assert spans == re.findall(r"```(.*?)```", text, flags=re.DOTALL)
        lazy = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
        assert inbound._replace_elements(text, inbound._AT, lambda _: " ") == lazy.sub(" ", text), text


def test_a_long_hostile_message_is_still_read() -> None:
    # Bounded shapes must not lose a token that comes after 40,000 characters of noise.
    text = "a." * 19_000 + " token: 0123456789abcdef0123456789abcdef and hr@acme.nl"
    found = parse.find_credentials(text)
    assert found.username == "hr@acme.nl" and found.token == "0123456789abcdef0123456789abcdef"
