"""`tokendesk validate`: exit codes, the human summary, JSON output, reading the token."""

from __future__ import annotations

import io
import json
import socket

import pytest

from bot.cli.validate import read_token, run_validate
from bot.standins.nmbrs.server import NmbrsStandIn
from tests.bot.nmbrs.accounts import TOKEN, USERNAME, GatewayFactory


async def test_valid_human(nmbrs: NmbrsStandIn) -> None:
    out = io.StringIO()
    code = await run_validate(base_url=nmbrs.base_url, username=USERNAME, token=TOKEN, as_json=False, out=out)

    text = out.getvalue()
    assert code == 0
    assert "valid: environment acme, 2 debtor(s), 3 company(ies)" in text
    assert "Acme Holding" in text and "Zonen <Noord> B.V." in text and "[debtor 12346]" in text
    assert TOKEN not in text


async def test_valid_json(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    out = io.StringIO()
    code = await run_validate(
        base_url=nmbrs.base_url, username=USERNAME, token=TOKEN, as_json=True, out=out, gateway=make_gateway()
    )
    data = json.loads(out.getvalue())
    assert code == 0
    assert data["outcome"] == "valid" and data["environment"] == "acme"
    assert [c["id"] for c in data["companies"]] == [54613, 54614, 54615]
    assert len(data["scope_digest"]) == 64
    assert TOKEN not in out.getvalue()


async def test_many_names_are_not_listed(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.add_account(
        "big@acme.nl", TOKEN, "big",
        debtors=[{"id": i, "number": i, "name": f"Debtor {i}"} for i in range(1, 31)],
        companies=[{"id": 100 + i, "number": i, "name": f"Company {i}", "debtor_id": i} for i in range(1, 31)],
    )
    out = io.StringIO()
    code = await run_validate(
        base_url=nmbrs.base_url, username="big@acme.nl", token=TOKEN, as_json=False, out=out, gateway=make_gateway()
    )
    assert code == 0 and "30 debtor(s), 30 company(ies)" in out.getvalue()
    assert "Company 7" not in out.getvalue()


async def test_rejected(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    out = io.StringIO()
    code = await run_validate(
        base_url=nmbrs.base_url, username=USERNAME, token="f" * 32, as_json=False, out=out, gateway=make_gateway()
    )
    assert code == 3
    assert "rejected (credentials, Nmbrs code 1001)" in out.getvalue()
    assert "User profile → API Token" in out.getvalue()


async def test_rejected_json(nmbrs: NmbrsStandIn, make_gateway: GatewayFactory) -> None:
    nmbrs.account_fault(USERNAME, 1004)
    out = io.StringIO()
    code = await run_validate(
        base_url=nmbrs.base_url, username=USERNAME, token=TOKEN, as_json=True, out=out, gateway=make_gateway()
    )
    data = json.loads(out.getvalue())
    assert code == 3 and data["outcome"] == "rejected" and data["category"] == "subscription" and data["code"] == 1004


@pytest.mark.parametrize("as_json", [False, True])
async def test_unreachable(make_gateway: GatewayFactory, as_json: bool) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base_url = f"http://127.0.0.1:{port}/soap/v3/"
    out = io.StringIO()
    code = await run_validate(
        base_url=base_url, username=USERNAME, token=TOKEN, as_json=as_json, out=out,
        gateway=make_gateway(base_url=base_url, retries=0),
    )
    assert code == 4
    if as_json:
        data = json.loads(out.getvalue())
        assert data["outcome"] == "unreachable" and data["cause"] == "service_gone"  # refused: the sign of a retired endpoint
    else:
        assert "unreachable (service_gone)" in out.getvalue()
        assert "Nothing is known to be wrong with your token" in out.getvalue()


@pytest.mark.parametrize("as_json", [False, True])
async def test_bad_input(nmbrs: NmbrsStandIn, as_json: bool) -> None:
    out = io.StringIO()
    code = await run_validate(
        base_url=nmbrs.base_url, username=USERNAME, token=f"{TOKEN} {TOKEN}", as_json=as_json, out=out
    )
    assert code == 2
    assert nmbrs.total_calls == 0
    assert TOKEN not in out.getvalue()
    if as_json:
        assert json.loads(out.getvalue()) == {
            "outcome": "invalid_input",
            "reason": "token_has_spaces",
            "message": "The API token contains spaces or line breaks; copy it again as one piece.",
        }
    else:
        assert "invalid input (token_has_spaces)" in out.getvalue()


async def test_bad_base_url_is_a_configuration_error() -> None:
    out = io.StringIO()
    code = await run_validate(base_url="api.nmbrs.nl", username=USERNAME, token=TOKEN, as_json=False, out=out)
    assert code == 2 and "configuration error" in out.getvalue()


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_read_token_from_a_pipe() -> None:
    assert read_token(io.StringIO(f"{TOKEN}\r\nnext line\n")) == TOKEN
    assert read_token(io.StringIO("")) == ""


def test_read_token_from_a_terminal_does_not_echo(monkeypatch: pytest.MonkeyPatch) -> None:
    prompts: list[str] = []

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return TOKEN

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    assert read_token(_Terminal()) == TOKEN
    assert prompts == ["Nmbrs API token: "]
