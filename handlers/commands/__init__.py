"""The `/nmbrs` commands, platform-neutral: the table, the parser, the outcomes and their execution."""

from handlers.commands.execution import (
    HISTORY_AUDITS, HISTORY_CHECKS, HOME_EVENTS, LIST_CAP, STATUS_CAP, Commands,
)
from handlers.commands.outcomes import (
    AlertRow, AlreadyRevoked, AuditRow, Busy, CheckAllQueued, Checked, CheckedAll, CheckQueued,
    CheckReportLike, CheckRow, Help, History, Labelled, LinkList, LinkStatus, NoLink, NotCheckable,
    OpenConnect, Outcome, ProgressCallback, Rechecker, Refused, RevokeAsk, RevokeCancelled, Revoked,
    RunInfo, RunProgressLike, RunSummaryLike, StatusResult, SupportSummary, Unavailable, Unknown, Usage,
)
from handlers.commands.parser import (
    MAX_LABEL, MAX_QUERY, STATES, Args, Invocation, UnknownCommand, UsageError, clean_label, parse, parse_args,
    split,
)
from handlers.commands.table import COMMANDS, Audience, CommandSpec, allowed_commands, command

__all__ = [
    "MAX_LABEL", "MAX_QUERY", "STATUS_CAP", "LIST_CAP", "HISTORY_CHECKS", "HISTORY_AUDITS", "HOME_EVENTS",
    "STATES", "Audience", "CommandSpec", "COMMANDS", "command", "allowed_commands", "UnknownCommand",
    "UsageError", "Args", "Invocation", "split", "parse_args", "clean_label", "parse", "Help", "OpenConnect",
    "Unknown", "Usage", "Refused", "NoLink", "Unavailable", "LinkStatus", "StatusResult", "RunInfo",
    "LinkList", "NotCheckable", "CheckQueued", "CheckAllQueued", "Busy", "CheckReportLike", "RunSummaryLike",
    "RunProgressLike", "ProgressCallback", "Rechecker", "Checked", "CheckedAll", "CheckRow", "AuditRow",
    "History", "Labelled", "RevokeAsk", "Revoked", "AlreadyRevoked", "RevokeCancelled", "AlertRow",
    "SupportSummary", "Outcome", "Commands",
]
