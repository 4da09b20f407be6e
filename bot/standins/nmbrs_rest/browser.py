"""A customer's browser on the stand-in's consent page, for tests and benchmarks: open the
authorize URL, fill in the form as served, press Allow or Cancel, return where Nmbrs sends them."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Literal
from urllib.parse import urljoin

import httpx


class ConsentPageError(Exception):
    """The identity server did not redirect: its page (error page, or the form with an error)."""

    def __init__(self, status: int, page: str) -> None:
        super().__init__(f"no redirect (HTTP {status})")
        self.status = status
        self.page = page


class _Form(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.hidden: list[tuple[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self.action = found.get("action")
        elif tag == "input" and found.get("type") == "hidden" and found.get("name"):
            self.hidden.append((found["name"] or "", found.get("value") or ""))


async def consent(
    authorize_url: str,
    *,
    email: str = "",
    password: str = "",
    button: Literal["allow", "cancel"] = "allow",
    client: httpx.AsyncClient | None = None,
) -> str:
    """The Location the identity server redirects to (`redirect_uri?code=…&state=…` or `?error=…`)."""
    own = client is None
    http = client or httpx.AsyncClient(timeout=10)
    try:
        page = await http.get(authorize_url)
        if page.status_code != 200:
            raise ConsentPageError(page.status_code, page.text)
        form = _Form()
        form.feed(page.text)
        if form.action is None:
            raise ConsentPageError(page.status_code, page.text)
        fields = [*form.hidden, ("email", email), ("password", password), ("action", button)]
        answer = await http.post(urljoin(str(page.url), form.action), data=dict(fields))
        if answer.status_code != 302:
            raise ConsentPageError(answer.status_code, answer.text)
        return answer.headers["location"]
    finally:
        if own:
            await http.aclose()
