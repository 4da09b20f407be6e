"""The async engine and sessions: SQLite (WAL, foreign keys, busy timeout) or PostgreSQL via psycopg 3.

With SQLite the file the process opened is watched: deleted or replaced under it, every statement
fails (DatabaseGone) instead of writing to an unlinked file that a restart would never see.
"""

from __future__ import annotations

import logging
import os
import weakref
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from storage.errors import DatabaseGone, DatabaseUnusable

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 10_000
#: The database and its WAL/SHM files hold sealed tokens and who holds them: owner only, like the key file.
SQLITE_FILE_MODE = 0o600


def async_url(database_url: str) -> str:
    """Turn the URL an operator writes (`sqlite:///x.db`, `postgresql://…`) into an async driver URL."""
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "sqlite":
        return url.set(drivername="sqlite+aiosqlite").render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):
        return url.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database: {backend}")


def sqlite_path(database_url: str) -> Path | None:
    """The SQLite file of a database URL, or None for PostgreSQL and in-memory SQLite."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


class DatabaseFile:
    """The identity (device, inode) of the SQLite file, taken at the first connection and compared
    before every statement and commit: a stat per statement is cheap next to SQLite's own work."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.identity: tuple[int, int] | None = None
        self.gone: str | None = None
        self._held: int | None = None

    def _now(self) -> tuple[int, int] | None:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_dev, st.st_ino

    def problem(self) -> str | None:
        """None while the file is the one first opened; else why not (and it stays that way)."""
        if self.gone is None and self.identity is not None:
            now = self._now()
            if now != self.identity:
                self.gone = "deleted" if now is None else "replaced by another file"
                log.error("database file %s was %s while serving; refusing all work until it is restored "
                          "and tokendesk restarted", self.path, self.gone)
        return self.gone

    def ensure(self) -> None:
        if self.problem() is not None:
            raise DatabaseGone(f"database file {self.path} was {self.gone}")

    def opened(self) -> None:
        if self.identity is None:
            self._hold()
        else:
            self.ensure()  # a new connection to a new file where ours was

    def _hold(self) -> None:
        """Keep the first file open: while we hold it, its inode cannot be handed to a new file
        created at the same path, so a deleted-and-recreated database never looks like ours."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        st = os.fstat(fd)
        self._held, self.identity = fd, (st.st_dev, st.st_ino)
        weakref.finalize(self, os.close, fd)


_files: weakref.WeakKeyDictionary[Engine, DatabaseFile] = weakref.WeakKeyDictionary()


def database_file(engine: AsyncEngine) -> DatabaseFile | None:
    """The watched SQLite file of an engine made by create_engine, or None (PostgreSQL, memory)."""
    return _files.get(engine.sync_engine)


def check_writable(path: Path) -> None:
    """Fail at start, with one line naming the file, when SQLite could not write it or its WAL."""
    directory = path.parent if str(path.parent) else Path(".")
    if path.exists():
        if not os.access(path, os.R_OK | os.W_OK):
            raise DatabaseUnusable(f"database {path}: the file is not writable by this user; tokendesk needs to write it")
    if not os.access(directory, os.W_OK | os.X_OK):
        what = "the WAL and SHM files" if path.exists() else "the database file"
        raise DatabaseUnusable(f"database {path}: its directory {directory} is read-only, so {what} cannot be created")


def _create_private(path: Path) -> None:
    """Make the database file 0600 before SQLite creates it; SQLite gives its WAL and SHM files the
    same mode as the database file."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, SQLITE_FILE_MODE)
    except FileExistsError:
        return
    os.close(fd)


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    url = async_url(database_url)
    if url.startswith("sqlite"):
        path = sqlite_path(database_url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            check_writable(path)
            _create_private(path)
        engine = create_async_engine(
            url, echo=echo, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        if path is not None:
            _watch(engine.sync_engine, DatabaseFile(path))
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True, pool_size=10, max_overflow=10)


def _watch(engine: Engine, file: DatabaseFile) -> None:
    _files[engine] = file
    event.listen(engine, "connect", lambda _conn, _record: file.opened())
    event.listen(engine, "before_cursor_execute", lambda *_args: file.ensure())
    # The last chance not to report as stored what went to a file nobody will open again.
    event.listen(engine, "commit", lambda _conn: file.ensure())


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False)


async def schema_version(session: AsyncSession) -> str | None:
    """The schema revision stored in the database (the readiness probe's query).

    A table, not `SELECT 1`: SQLite answers that without reading the file, and a new empty file
    where the database was (deleted, volume not mounted) must fail too."""
    return (await session.execute(text("SELECT version_num FROM alembic_version"))).scalar()
