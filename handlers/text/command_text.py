"""The words of `/nmbrs` answers in Dutch or English, the same on Slack and Teams.

Pure functions from the neutral outcomes of handlers.commands to lines of text; the adapter's Markup
writes bold, code, icons, times and people its own way and lays the lines out. Outside text (labels,
usernames, environments, Nmbrs names, what was typed) goes through markup.escape where it is shown.
"""

from __future__ import annotations

# The words live in two modules by concern; this one names them all, as the adapters read them.
from handlers.text.command_checks import (
    already_revoked,
    audit_row,
    busy,
    cancel_button,
    change_line,
    check_row,
    checked,
    checked_all,
    checking,
    history,
    HistoryText,
    labelled,
    not_checkable,
    noted,
    progress,
    revoke_button,
    revoke_cancelled,
    revoke_question,
    revoked,
    revoked_at_nmbrs,
    RunText,
    transition,
)
from handlers.text.command_links import (
    fault_words,
    label_of,
    CHANGES_SHOWN,
    command_lines,
    counts_line,
    link_fields,
    link_line,
    list_footer,
    list_head,
    list_more,
    more,
    no_status,
    pick,
    refused,
    run_line,
    searched,
    staff_hint,
    staff_intro,
    state,
    status_more,
    token_in_command,
    token_reset,
    status_title,
    usage,
    usage_line,
    usage_problem,
    when,
)
from handlers.text.markup import Markup

__all__ = [
    "revoked_at_nmbrs",
    "fault_words",
    "label_of",
    "already_revoked",
    "audit_row",
    "busy",
    "cancel_button",
    "change_line",
    "CHANGES_SHOWN",
    "check_row",
    "checked",
    "checked_all",
    "checking",
    "command_lines",
    "counts_line",
    "failed",
    "history",
    "HistoryText",
    "labelled",
    "link_fields",
    "link_line",
    "list_footer",
    "list_head",
    "list_more",
    "more",
    "no_link",
    "no_status",
    "not_checkable",
    "noted",
    "pick",
    "progress",
    "refused",
    "revoke_button",
    "revoke_cancelled",
    "revoke_question",
    "revoked",
    "run_line",
    "RunText",
    "searched",
    "staff_hint",
    "staff_intro",
    "state",
    "status_more",
    "status_title",
    "token_in_command",
    "token_reset",
    "transition",
    "unavailable",
    "usage",
    "usage_line",
    "usage_problem",
    "when",
]


# --- answers that are not outcomes ---------------------------------------------------------------------


def no_link(short_id: str, nl: bool) -> str:
    return pick(nl, f"There is no link {short_id}.", f"Er is geen koppeling {short_id}.")


def migration_unavailable(nl: bool) -> str:
    return pick(nl, "Migration invitations are not available yet on this server.",
                "Migratie-uitnodigingen zijn op deze server nog niet beschikbaar.")


def unavailable(nl: bool) -> str:
    return pick(nl, "Checking is not available on this server (the re-check is not running).",
                "Controleren kan niet op deze server (de hercontrole draait niet).")


def failed(m: Markup, reference: str, nl: bool) -> str:
    shown = m.code(m.escape(reference))
    return pick(nl, f"Something went wrong on our side; nothing was changed that you were not told about. Reference: {shown}.",
                f"Er ging bij ons iets mis; er is niets veranderd zonder dat je het hoorde. Referentie: {shown}.")
