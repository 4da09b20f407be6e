"""The database's own failures, importable without SQLAlchemy (the command line catches them at its top)."""


class DatabaseGone(RuntimeError):
    """The SQLite file this process opened was deleted or replaced; nothing written now would last."""


class DatabaseUnusable(RuntimeError):
    """The database cannot be used at start (read-only file or directory); the text names the file."""
