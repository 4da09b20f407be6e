"""Every icon the wording names has an emoji for Teams and the /try page (Slack takes the name as is):
an icon missing from handlers.text.markup.EMOJI would fail on Teams and show `:name:` on /try."""

from __future__ import annotations

import re
from pathlib import Path

from handlers.text.markup import EMOJI, STATE_ICONS

ROOT = Path(__file__).resolve().parents[3]
_ICON_CALL = re.compile(r"\bicon\(\s*['\"]([a-z0-9_+-]+)['\"]")
_SHORTCODE = re.compile(r"['\"]:([a-z0-9_+-]+):['\"]")
_MARKS = re.compile(r"_MARKS = \{(.*?)\n\}", re.S)


def _used() -> dict[str, set[str]]:
    """Icon names found in the code, with the files that use them."""
    found: dict[str, set[str]] = {}
    for path in [*ROOT.joinpath("handlers").rglob("*.py"), *ROOT.joinpath("bot").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        names = set(_ICON_CALL.findall(text)) | set(_SHORTCODE.findall(text))
        for block in _MARKS.findall(text):
            names |= set(re.findall(r":\s*\"([a-z0-9_+-]+)\"", block))
        for name in names:
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_icon_the_code_names_has_an_emoji() -> None:
    used = _used()
    assert {"twisted_rightwards_arrows", "incoming_envelope", "large_green_circle", "envelope"} <= set(used)
    missing = {name: sorted(files) for name, files in used.items() if name not in EMOJI}
    assert missing == {}


def test_every_state_icon_has_an_emoji() -> None:
    assert set(STATE_ICONS.values()) <= set(EMOJI)
