"""Try mode's guard, on its own: loopback clients and this server's loopback Host and Origin only."""

from __future__ import annotations

from typing import Any

from bot.trymode.guard import allowed_hosts, refusal

HOSTS = allowed_hosts(3000)


def scope(host: str | None = "127.0.0.1:3000", origin: str | None = None, client: str = "127.0.0.1") -> dict[str, Any]:
    headers = []
    if host is not None:
        headers.append((b"host", host.encode()))
    if origin is not None:
        headers.append((b"origin", origin.encode()))
    return {"type": "http", "path": "/try", "headers": headers, "client": (client, 50000)}


def test_loopback_names_pass() -> None:
    for host in ("127.0.0.1:3000", "localhost:3000", "LOCALHOST:3000"):
        assert refusal(scope(host), HOSTS) is None
    assert refusal(scope(origin="http://localhost:3000"), HOSTS) is None
    assert refusal(scope(client="::1"), HOSTS) is None


def test_rebinding_names_and_other_ports_are_refused() -> None:
    for host in ("attacker.example:3000", "127.0.0.1", "127.0.0.1:3001", "localhost", "", "127.0.0.1.nip.io:3000"):
        assert refusal(scope(host), HOSTS) is not None, host
    assert refusal(scope(host=None), HOSTS) is not None


def test_foreign_origins_are_refused() -> None:
    for origin in ("http://attacker.example", "null", "https://127.0.0.1:3000", "http://127.0.0.1:3001"):
        assert refusal(scope(origin=origin), HOSTS) is not None, origin


def test_clients_off_this_machine_are_refused() -> None:
    assert refusal(scope(client="192.168.1.20"), HOSTS) is not None
    assert refusal(scope(client="not an address"), HOSTS) is not None
