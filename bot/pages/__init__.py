"""Server-rendered pages for customers: the invitation page (bot.pages.invite) and its security."""

from bot.pages.invite import InvitePages
from bot.pages.security import redact_access_log

__all__ = ["InvitePages", "redact_access_log"]
