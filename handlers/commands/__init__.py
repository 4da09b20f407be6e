"""The `/nmbrs` commands, platform-neutral: the table, the parser, the outcomes and their execution."""

from handlers.commands.execution import (
    MAX_LABEL, MAX_QUERY, STATUS_CAP, LIST_CAP, HISTORY_CHECKS, HISTORY_AUDITS, HOME_EVENTS, STATES, Audience,
    CommandSpec, COMMANDS, command, allowed_commands, UnknownCommand, UsageError, Args, Invocation, split,
    parse_args, clean_label, parse, Help, OpenConnect, Unknown, Usage, Refused, NoLink, Unavailable, LinkStatus,
    StatusResult, RunInfo, LinkList, NotCheckable, CheckQueued, CheckAllQueued, Busy, CheckReportLike,
    RunSummaryLike, RunProgressLike, ProgressCallback, Rechecker, Checked, CheckedAll, CheckRow, AuditRow,
    History, Labelled, RevokeAsk, Revoked, AlreadyRevoked, RevokeCancelled, AlertRow, SupportSummary, Outcome,
    Commands,
)

__all__ = [
    "MAX_LABEL", "MAX_QUERY", "STATUS_CAP", "LIST_CAP", "HISTORY_CHECKS", "HISTORY_AUDITS", "HOME_EVENTS",
    "STATES", "Audience", "CommandSpec", "COMMANDS", "command", "allowed_commands", "UnknownCommand",
    "UsageError", "Args", "Invocation", "split", "parse_args", "clean_label", "parse", "Help", "OpenConnect",
    "Unknown", "Usage", "Refused", "NoLink", "Unavailable", "LinkStatus", "StatusResult", "RunInfo", "LinkList",
    "NotCheckable", "CheckQueued", "CheckAllQueued", "Busy", "CheckReportLike", "RunSummaryLike",
    "RunProgressLike", "ProgressCallback", "Rechecker", "Checked", "CheckedAll", "CheckRow", "AuditRow",
    "History", "Labelled", "RevokeAsk", "Revoked", "AlreadyRevoked", "RevokeCancelled", "AlertRow",
    "SupportSummary", "Outcome", "Commands",
]
