"""Server-rendered pages for customers: the invitation page (bot.pages.invite), the REST consent
routes (bot.pages.connect) and their security."""

from bot.pages.connect import ConsentPages
from bot.pages.invite import InvitePages
from bot.pages.security import redact_access_log

__all__ = ["ConsentPages", "InvitePages", "redact_access_log"]
