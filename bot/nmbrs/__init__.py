"""The Nmbrs SOAP adapter: the gateway that checks credentials, its transport, fault mapping and limits.

What the outcomes are and mean (handlers.model, handlers.text.explain) belongs to handlers.
"""

from bot.nmbrs.gateway import DEFAULT_MAP_DEBTORS_MAX, NmbrsGateway, OnCall
from bot.nmbrs.limits import CallLimiter
from bot.nmbrs.redact import TokenRedactionFilter, guard_zeep_logging

__all__ = [
    "DEFAULT_MAP_DEBTORS_MAX",
    "CallLimiter",
    "NmbrsGateway",
    "OnCall",
    "TokenRedactionFilter",
    "guard_zeep_logging",
]
