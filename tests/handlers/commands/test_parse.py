"""The /nmbrs parser and the authorisation table, without a database."""

from __future__ import annotations

import pytest

from handlers.commands import (
    COMMANDS,
    MAX_LABEL,
    Args,
    Audience,
    UnknownCommand,
    UsageError,
    allowed_commands,
    parse,
    split,
)


def test_the_table_declares_who_may_run_what() -> None:
    assert list(COMMANDS) == ["help", "connect", "status", "list", "check", "history", "label", "revoke",
                              "invite", "invites", "migration"]
    customers = {spec.name for spec in COMMANDS.values() if spec.audience is Audience.EVERYONE}
    assert customers == {"help", "connect", "status"}
    assert [s.name for s in allowed_commands(staff=False)] == ["help", "connect", "status"]
    assert len(allowed_commands(staff=True)) == 11
    assert COMMANDS["migration"].audience is Audience.STAFF and COMMANDS["migration"].usage == "migration [link]"
    assert COMMANDS["invite"].audience is Audience.STAFF and COMMANDS["invites"].audience is Audience.STAFF
    assert COMMANDS["label"].usage == "label <link> <text>"


@pytest.mark.parametrize("text", ["", "   ", "help", "HELP", " help  me "])
def test_no_text_or_help_is_help(text: str) -> None:
    assert parse(text).spec.name == "help"


def test_unknown_subcommand_names_the_word() -> None:
    with pytest.raises(UnknownCommand) as raised:
        split("frobnicate L1")
    assert raised.value.word == "frobnicate"


@pytest.mark.parametrize(
    ("text", "args"),
    [
        ("connect", Args()),
        ("connect hr@acme.nl abc", Args()),
        ("status", Args()),
        ("status  acme payroll ", Args(query="acme payroll")),
        ("list", Args()),
        ("list BROKEN", Args(state="broken")),
        ("check L12", Args(link_id=12)),
        ("check 12", Args(link_id=12)),
        ("check all", Args(everything=True)),
        ("check ALL", Args(everything=True)),
        ("history l7", Args(link_id=7)),
        ("revoke L3", Args(link_id=3)),
        ("label L3   Acme  payroll ", Args(link_id=3, text="Acme  payroll")),
        ("label L3 <!channel>", Args(link_id=3, text="<!channel>")),
    ],
)
def test_arguments(text: str, args: Args) -> None:
    assert parse(text).args == args


@pytest.mark.parametrize(
    ("text", "problem", "given"),
    [
        ("list sleeping", "bad_state", "sleeping"),
        ("list active broken", "too_many", None),
        ("check", "missing_link", None),
        ("check acme", "bad_link", "acme"),
        ("check L1 L2", "too_many", None),
        ("check all now", "too_many", None),
        ("history", "missing_link", None),
        ("revoke X9", "bad_link", "X9"),
        ("label", "missing_link", None),
        ("label L1", "missing_label", None),
        ("label L1    ", "missing_label", None),
        ("label L1 " + "x" * (MAX_LABEL + 1), "label_too_long", None),
        ("label L1 tab\there", "label_control", None),
        ("label L1 rtl\u202eevil", "label_control", None),
        ("label L1 token 3f2a9c7e5b1d4f60a8e2c4b6d8f01a2b", "label_secret", None),
        ("status " + "q" * 101, "query_too_long", None),
    ],
)
def test_usage_errors_name_the_problem(text: str, problem: str, given: str | None) -> None:
    with pytest.raises(UsageError) as raised:
        parse(text)
    assert raised.value.problem == problem
    assert raised.value.given == given


def test_a_label_of_exactly_the_limit_is_fine() -> None:
    assert parse("label L1 " + "x" * MAX_LABEL).args.text == "x" * MAX_LABEL


@pytest.mark.parametrize("text, args", [
    ("invite Acme BV", Args(text="Acme BV")),
    ("invite   hr@acme.nl ", Args(text="hr@acme.nl")),
    ("invite revoke I7", Args(invitation_id=7)),
    ("INVITE REVOKE i12", Args(invitation_id=12)),
    ("invites", Args()),
])
def test_invitation_commands_parse(text: str, args: Args) -> None:
    assert parse(text).args == args


@pytest.mark.parametrize("text, problem", [
    ("invite", "missing_name"), ("invite revoke", "missing_invitation"), ("invite revoke L7", "bad_invitation"),
    ("invite revoke I7 I8", "too_many"), ("invites open", "too_many"), ("invite " + "x" * 201, "label_too_long"),
])
def test_invitation_commands_refuse_what_does_not_fit(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse(text)
    assert raised.value.problem == problem


@pytest.mark.parametrize("text, args", [
    ("migration", Args()),
    ("migration L5", Args(link_id=5)),
    ("MIGRATION not-needed l5 1002", Args(subcommand="not_needed", link_id=5, text="1002")),
    ("migration invite L5", Args(subcommand="invite", link_id=5)),
    ("migration invite all", Args(subcommand="invite", everything=True)),
])
def test_migration_commands_parse(text: str, args: Args) -> None:
    assert parse(text).args == args


@pytest.mark.parametrize("text, problem", [
    ("migration L5 L6", "too_many"), ("migration acme", "bad_link"), ("migration not-needed", "missing_link"),
    ("migration not-needed L5", "missing_debtor"), ("migration not-needed L5 <!here>", "bad_debtor"),
    ("migration not-needed L5 4 5", "too_many"), ("migration not-needed x 4", "bad_link"),
    ("migration invite", "missing_link"), ("migration invite L5 L6", "too_many"),
])
def test_migration_commands_refuse_what_does_not_fit(text: str, problem: str) -> None:
    with pytest.raises(UsageError) as raised:
        parse(text)
    assert raised.value.problem == problem
