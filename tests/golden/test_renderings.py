"""Every message the bot renders is byte-for-byte what it was when renderings.sha256.json was written."""

from __future__ import annotations

import json

from tests.golden.renderings import DIGESTS, digests, render_all

SHOWN = 20


def test_every_rendering_is_unchanged() -> None:
    expected: dict[str, str] = json.loads(DIGESTS.read_text(encoding="utf-8"))
    actual = digests(render_all())
    changed = sorted(name for name in expected.keys() & actual.keys() if expected[name] != actual[name])
    missing = sorted(expected.keys() - actual.keys())
    new = sorted(actual.keys() - expected.keys())
    if changed or missing or new:
        lines = [f"{len(changed)} renderings changed, {len(missing)} missing, {len(new)} new "
                 f"(of {len(expected)} committed, {len(actual)} now)."]
        for title, names in (("changed", changed), ("missing", missing), ("new", new)):
            lines += [f"  {title}: {name}" for name in names[:SHOWN]]
            if len(names) > SHOWN:
                lines.append(f"  {title}: … and {len(names) - SHOWN} more")
        lines.append("To see the texts: `python -m tests.golden.renderings --dump /tmp/after.json` here, the same "
                     "with `--dump /tmp/before.json` in a checkout of the previous commit (git worktree add), then "
                     "diff the two files. If every change is intended, run `python -m tests.golden.renderings "
                     "--update` and commit renderings.sha256.json.")
        raise AssertionError("\n".join(lines))
