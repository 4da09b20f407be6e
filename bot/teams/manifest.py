"""The Teams app package: manifest.json (the bot, its command menu per scope), a color and an outline
icon, zipped for an admin to upload. Validated against Microsoft's published manifest schema (v1.24,
shipped in bot/teams/schema) when jsonschema is installed, and always against the fields and limits
Microsoft documents for a bot app.
"""

from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

MANIFEST_VERSION = "1.24"
SCHEMA_URL = f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/MicrosoftTeams.schema.json"
SCHEMA_FILE = f"MicrosoftTeams.v{MANIFEST_VERSION}.schema.json"
COLOR_ICON, OUTLINE_ICON = "color.png", "outline.png"
ACCENT = "#2E5C8A"
#: The command menu, per scope: what Teams shows when someone types "/" or opens the bot's menu.
#: Picking one sends its title as a message (bot.teams.inbound.command_text reads it).
PERSONAL_COMMANDS = (
    ("help", "What you can do here"),
    ("connect", "Send your Nmbrs login and API token (shows a form)"),
    ("status", "Your links and how they are doing (support: any link)"),
    ("list", "Support: all links, or those in one state (list broken)"),
    ("check", "Support: check a link against Nmbrs now (check L12, check all)"),
    ("history", "Support: checks and audit entries of a link (history L12)"),
    ("label", "Support: give a link a label (label L12 text)"),
    ("revoke", "Support: destroy a link's token, after a confirmation (revoke L12)"),
)
TEAM_COMMANDS = tuple(command for command in PERSONAL_COMMANDS if command[0] != "connect")
MAX_COMMANDS = 10  # Teams' documented menu limit (the v1.24 schema allows 12; 10 works everywhere)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


class ManifestError(Exception):
    """The manifest does not validate; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("invalid Teams manifest:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Publisher:
    """Who publishes the app, as the Teams store and admin center show it."""

    name: str
    website_url: str
    privacy_url: str
    terms_url: str


def build_manifest(*, app_id: str, publisher: Publisher, version: str = "1.0.0", name: str = "tokendesk") -> dict[str, Any]:
    """manifest.json for the bot registered as `app_id` (TEAMS_CLIENT_ID), installable for a user
    (customers' 1:1 chat) and in a team (support's channel)."""

    def commands(items: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"title": title, "description": description} for title, description in items]

    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id,
        "developer": {
            "name": publisher.name, "websiteUrl": publisher.website_url,
            "privacyUrl": publisher.privacy_url, "termsOfUseUrl": publisher.terms_url,
        },
        "name": {"short": name[:30], "full": "tokendesk: Nmbrs API credentials for support"},
        "description": {
            "short": "Send your Nmbrs API credentials safely; support follows each link.",
            "full": (
                "Customers send their Nmbrs login e-mail and API token in a 1:1 chat or a form with a masked "
                "token field; tokendesk checks them against Nmbrs at once, explains what to fix, and stores "
                "the token encrypted. Support staff get one thread per link in their channel, a nightly "
                "re-check of every token, and commands to inspect, check, label and revoke links."
            ),
        },
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": ACCENT,
        "bots": [{
            "botId": app_id,
            "scopes": ["personal", "team"],
            "isNotificationOnly": False,
            "supportsFiles": False,
            "commandLists": [
                {"scopes": ["personal"], "commands": commands(PERSONAL_COMMANDS)},
                {"scopes": ["team"], "commands": commands(TEAM_COMMANDS)},
            ],
        }],
        "permissions": ["identity", "messageTeamMembers"],
        "validDomains": [],
    }


# --- icons -----------------------------------------------------------------------------------------


def _png(width: int, height: int, pixel: Any) -> bytes:
    """A PNG (8-bit RGBA) from `pixel(x, y) -> (r, g, b, a)`: no imaging library needed for two icons."""
    rows = b"".join(
        b"\x00" + b"".join(bytes(pixel(x, y)) for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def _key_shape(x: float, y: float) -> bool:
    """A key (ring and bar with two teeth) in a unit square: the mark of a credentials desk."""
    ring = (x - 0.32) ** 2 + (y - 0.5) ** 2
    if 0.14 ** 2 <= ring <= 0.24 ** 2:
        return True
    if 0.54 <= x <= 0.88 and 0.46 <= y <= 0.54:
        return True
    return (0.72 <= x <= 0.78 or 0.82 <= x <= 0.88) and 0.54 <= y <= 0.66


def color_icon(size: int = 192) -> bytes:
    """The full-color icon: a white key on the accent color, 192x192."""
    accent = tuple(int(ACCENT[i:i + 2], 16) for i in (1, 3, 5))

    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        if _key_shape((x + 0.5) / size, (y + 0.5) / size):
            return (255, 255, 255, 255)
        return (*accent, 255)  # type: ignore[return-value]

    return _png(size, size, pixel)


def outline_icon(size: int = 32) -> bytes:
    """The outline icon: the key in white on transparent, 32x32 (Teams tints it)."""
    return _png(size, size, lambda x, y: (255, 255, 255, 255) if _key_shape((x + 0.5) / size, (y + 0.5) / size)
                else (0, 0, 0, 0))


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    width, height = struct.unpack(">II", data[16:24])
    return width, height


# --- validation ------------------------------------------------------------------------------------


def schema() -> dict[str, Any] | None:
    """Microsoft's manifest schema shipped with tokendesk, or None when the file is not there."""
    try:
        text = resources.files("bot.teams").joinpath("schema", SCHEMA_FILE).read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError):
        return None
    return json.loads(text)


def schema_problems(manifest: Mapping[str, Any]) -> list[str] | None:
    """Errors against Microsoft's schema; None when it (or jsonschema) is not available."""
    document = schema()
    try:
        import jsonschema
    except ImportError:
        return None
    if document is None:
        return None
    validator = jsonschema.Draft4Validator(document)
    return [f"{'/'.join(str(p) for p in error.absolute_path) or '(top)'}: {error.message}"
            for error in sorted(validator.iter_errors(dict(manifest)), key=lambda e: list(e.absolute_path))]


def field_problems(manifest: Mapping[str, Any], files: Mapping[str, bytes]) -> list[str]:
    """The fields and limits Microsoft documents for a bot app (checked whether or not the schema is)."""
    problems = []
    if manifest.get("manifestVersion") != MANIFEST_VERSION:
        problems.append(f"manifestVersion: expected {MANIFEST_VERSION}")
    if not _SEMVER.match(str(manifest.get("version", ""))):
        problems.append("version: expected semver like 1.0.0")
    if not _GUID.match(str(manifest.get("id", ""))):
        problems.append("id: expected the app's GUID (TEAMS_CLIENT_ID)")
    developer = manifest.get("developer") or {}
    for key in ("name", "websiteUrl", "privacyUrl", "termsOfUseUrl"):
        if not developer.get(key):
            problems.append(f"developer.{key}: required")
        elif key != "name" and not str(developer[key]).startswith("https://"):
            problems.append(f"developer.{key}: must be an https:// URL")
    if len(str((manifest.get("name") or {}).get("short", ""))) > 30:
        problems.append("name.short: at most 30 characters")
    if len(str((manifest.get("description") or {}).get("short", ""))) > 80:
        problems.append("description.short: at most 80 characters")
    for bot in manifest.get("bots") or []:
        if not _GUID.match(str(bot.get("botId", ""))):
            problems.append("bots[].botId: expected the bot's GUID")
        for commands in bot.get("commandLists") or []:
            if len(commands.get("commands") or []) > MAX_COMMANDS:
                problems.append(f"bots[].commandLists: at most {MAX_COMMANDS} commands per scope")
            for command in commands.get("commands") or []:
                if len(command.get("title", "")) > 32:
                    problems.append(f"command {command.get('title')!r}: title longer than 32 characters")
    expected = {"color": (192, 192), "outline": (32, 32)}
    for kind, name in (manifest.get("icons") or {}).items():
        if name not in files:
            problems.append(f"icons.{kind}: {name} is not in the package")
            continue
        try:
            size = png_size(files[name])
        except ValueError:
            problems.append(f"icons.{kind}: {name} is not a PNG")
            continue
        if kind in expected and size != expected[kind]:
            problems.append(f"icons.{kind}: {name} is {size[0]}x{size[1]}, expected {expected[kind][0]}x{expected[kind][1]}")
    return problems


def package(manifest: Mapping[str, Any]) -> tuple[bytes, bool]:
    """The zip an admin uploads (manifest.json and both icons at its root), after validation.

    Returns (zip bytes, whether Microsoft's schema was used). Raises ManifestError."""
    files = {COLOR_ICON: color_icon(), OUTLINE_ICON: outline_icon()}
    problems = field_problems(manifest, files)
    against_schema = schema_problems(manifest)
    problems += against_schema or []
    if problems:
        raise ManifestError(problems)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue(), against_schema is not None
