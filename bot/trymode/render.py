"""A small Block Kit renderer for the /try page: messages, threads and modals as HTML.

Everything that came from Slack JSON is escaped here (html.escape, attributes quoted), after Slack's
own three entities are undone: the bot escapes outside text for mrkdwn (`&lt;!channel&gt;`), so the
page shows `<!channel>` as text and never as markup. Pure functions, no I/O."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from handlers.text.markup import EMOJI

Block = Mapping[str, Any]

_SPECIAL = re.compile(r"<([^<>]*)>")
_FORMATS = (
    (re.compile(r"`([^`\n]+)`"), r"<code>\1</code>"),
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), r"<b>\1</b>"),
    (re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])"), r"<i>\1</i>"),
    (re.compile(r"(?<![\w~])~([^~\n]+)~(?![\w~])"), r"<s>\1</s>"),
    (re.compile(r":([a-z0-9_+-]+):"), None),
)


def esc(value: object) -> str:
    """Text for HTML content or a quoted attribute."""
    return html.escape(str(value), quote=True)


def _slack_unescape(text: str) -> str:
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _emoji(text: str) -> str:
    return _FORMATS[-1][0].sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)


def _plain_part(text: str) -> str:
    out = esc(_slack_unescape(text))
    for pattern, replacement in _FORMATS:
        if replacement is None:
            out = pattern.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), out)
        else:
            out = pattern.sub(replacement, out)
    return out.replace("\n", "<br>")


def _special(inner: str, name_of: Callable[[str], str]) -> str:
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        return f'<span class="mention">@{esc(label or name_of(target[1:]))}</span>'
    if target.startswith("#"):
        return f'<span class="mention">#{esc(label or target[1:])}</span>'
    if target.startswith("!date^"):
        return esc(_slack_unescape(label or target))
    if target.startswith("!"):
        return f'<span class="mention">@{esc(label or target[1:].split("^")[0])}</span>'
    url = _slack_unescape(target)
    if url.startswith(("http://", "https://", "mailto:")):
        return f'<a href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(_slack_unescape(label or url))}</a>'
    return esc(_slack_unescape("<" + inner + ">"))


def mrkdwn(text: str, name_of: Callable[[str], str] = lambda user: user) -> str:
    """Slack mrkdwn as HTML: links, mentions, bold, italics, code and a few emoji; the rest escaped."""
    out, at = [], 0
    for match in _SPECIAL.finditer(text):
        out.append(_plain_part(text[at:match.start()]))
        out.append(_special(match.group(1), name_of))
        at = match.end()
    out.append(_plain_part(text[at:]))
    return "".join(out)


def text_object(obj: Any, name_of: Callable[[str], str] = lambda user: user) -> str:
    if not isinstance(obj, Mapping):
        return ""
    value = str(obj.get("text", ""))
    if obj.get("type") == "mrkdwn":
        return mrkdwn(value, name_of)
    # plain_text: no formatting, only the emoji Slack draws unless emoji is false.
    return _emoji(esc(value)).replace("\n", "<br>") if obj.get("emoji") is not False else esc(value)


def button(element: Block) -> str:
    style = element.get("style")
    classes = "bk-button" + (f" bk-{style}" if style in ("primary", "danger") else "")
    attrs = {
        "data-action": element.get("action_id", ""),
        "data-value": element.get("value", ""),
        "data-block": element.get("_block_id", ""),
    }
    confirm = element.get("confirm")
    if isinstance(confirm, Mapping):
        attrs["data-confirm"] = _slack_unescape(str((confirm.get("text") or {}).get("text", "")))
    rendered = " ".join(f'{name}="{esc(value)}"' for name, value in attrs.items())
    url = element.get("url")
    if isinstance(url, str) and url.startswith(("http://", "https://")):
        return (f'<a class="{classes}" href="{esc(url)}" target="_blank" rel="noopener noreferrer">'
                f"{text_object(element.get('text'))}</a>")
    return f'<button type="button" class="{classes}" {rendered}>{text_object(element.get("text"))}</button>'


def _element(element: Any, block_id: str, name_of: Callable[[str], str]) -> str:
    if not isinstance(element, Mapping):
        return ""
    kind = element.get("type")
    if kind == "button":
        return button({**element, "_block_id": block_id})
    if kind in ("mrkdwn", "plain_text"):
        return f'<span class="bk-context-text">{text_object(element, name_of)}</span>'
    if kind == "image":
        return f'<span class="bk-image" title="{esc(element.get("alt_text", ""))}">🖼</span>'
    return f'<span class="bk-unknown">[{esc(kind)}]</span>'


def _input(block: Block, values: Mapping[str, str], errors: Mapping[str, str]) -> str:
    block_id = str(block.get("block_id", ""))
    element = block.get("element") or {}
    action_id = str(element.get("action_id", ""))
    value = values.get(block_id, element.get("initial_value", ""))
    placeholder = (element.get("placeholder") or {}).get("text", "")
    hint = text_object(block.get("hint"))
    error = errors.get(block_id)
    field = (f'<input class="bk-input" type="text" autocomplete="off" name="{esc(block_id)}" '
             f'data-block="{esc(block_id)}" data-action="{esc(action_id)}" value="{esc(value)}" '
             f'placeholder="{esc(placeholder)}">')
    return (f'<label class="bk-input-block"><span class="bk-label">{text_object(block.get("label"))}</span>{field}'
            + (f'<span class="bk-hint">{hint}</span>' if hint else "")
            + (f'<span class="bk-error">{esc(error)}</span>' if error else "") + "</label>")


def blocks(items: Any, *, name_of: Callable[[str], str] = lambda user: user,
           values: Mapping[str, str] | None = None, errors: Mapping[str, str] | None = None) -> str:
    """Section, context, actions, header, divider and input blocks; unknown ones are named, not shown."""
    out = []
    for block in items if isinstance(items, Sequence) else ():
        if not isinstance(block, Mapping):
            continue
        kind, block_id = block.get("type"), str(block.get("block_id", ""))
        if kind == "section":
            body = text_object(block.get("text"), name_of)
            fields = "".join(f'<div class="bk-field">{text_object(f, name_of)}</div>' for f in block.get("fields") or [])
            accessory = _element(block.get("accessory"), block_id, name_of) if block.get("accessory") else ""
            out.append(f'<div class="bk-section"><div class="bk-text">{body}</div>'
                       + (f'<div class="bk-fields">{fields}</div>' if fields else "")
                       + (f'<div class="bk-accessory">{accessory}</div>' if accessory else "") + "</div>")
        elif kind == "context":
            parts = "".join(_element(e, block_id, name_of) for e in block.get("elements") or [])
            out.append(f'<div class="bk-context">{parts}</div>')
        elif kind == "actions":
            parts = "".join(_element(e, block_id, name_of) for e in block.get("elements") or [])
            out.append(f'<div class="bk-actions">{parts}</div>')
        elif kind == "header":
            out.append(f'<div class="bk-header">{text_object(block.get("text"))}</div>')
        elif kind == "divider":
            out.append('<hr class="bk-divider">')
        elif kind == "input":
            out.append(_input(block, values or {}, errors or {}))
        else:
            out.append(f'<div class="bk-unknown">[{esc(kind)} block]</div>')
    return "".join(out)


def message(msg: Mapping[str, Any], *, who: str, css: str, name_of: Callable[[str], str] = lambda user: user,
            origin: str = "", replies: Sequence[str] = ()) -> str:
    """One message: its blocks (or its text when it has none), who sent it, and its thread."""
    body = blocks(msg.get("blocks"), name_of=name_of) if msg.get("blocks") else mrkdwn(str(msg.get("text", "")), name_of)
    thread = (f'<div class="thread"><div class="thread-count">{len(replies)} '
              f'{"reply" if len(replies) == 1 else "replies"}</div>{"".join(replies)}</div>') if replies else ""
    return (f'<div class="msg {esc(css)}" data-origin="{esc(origin)}"><div class="who">{esc(who)}</div>'
            f'<div class="body">{body}</div>{thread}</div>')


def modal(view: Mapping[str, Any], *, values: Mapping[str, str] | None = None,
          errors: Mapping[str, str] | None = None) -> str:
    """A modal: title, blocks (inputs keep what was typed), submit and close."""
    submit = view.get("submit")
    close = view.get("close") or {"type": "plain_text", "text": "Close"}
    return (f'<div class="modal-title">{text_object(view.get("title"))}</div>'
            f'<div class="modal-body">{blocks(view.get("blocks"), values=values, errors=errors)}</div>'
            '<div class="modal-buttons">'
            f'<button type="button" class="bk-button" data-modal="close">{text_object(close)}</button>'
            + (f'<button type="button" class="bk-button bk-primary" data-modal="submit">{text_object(submit)}</button>'
               if submit else "") + "</div>")
