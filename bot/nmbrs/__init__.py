"""The Nmbrs SOAP client: credential checks, scope discovery, and what the outcomes mean to people."""

from bot.nmbrs.explain import Explanation, explain, explain_input
from bot.nmbrs.gateway import DEFAULT_MAP_DEBTORS_MAX, NmbrsGateway, OnCall
from bot.nmbrs.limits import CallLimiter
from bot.nmbrs.redact import TokenRedactionFilter, guard_zeep_logging, redact_tokens
from bot.nmbrs.result import (
    Company,
    Debtor,
    InvalidInput,
    InvalidInputReason,
    Rejected,
    RejectionCategory,
    Unreachable,
    UnreachableCause,
    Valid,
    Validation,
)
from bot.nmbrs.shape import clean_token, clean_username

__all__ = [
    "DEFAULT_MAP_DEBTORS_MAX",
    "CallLimiter",
    "Company",
    "Debtor",
    "Explanation",
    "InvalidInput",
    "InvalidInputReason",
    "NmbrsGateway",
    "OnCall",
    "Rejected",
    "RejectionCategory",
    "TokenRedactionFilter",
    "Unreachable",
    "UnreachableCause",
    "Valid",
    "Validation",
    "clean_token",
    "clean_username",
    "explain",
    "explain_input",
    "guard_zeep_logging",
    "redact_tokens",
]
