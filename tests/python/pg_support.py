"""The suites on PostgreSQL (issue 14): ``TINYTASK_PY_DATABASE_URL=postgres://…/postgres`` (an admin URL of the
throwaway server scripts/postgres-env.sh starts) makes every server the suites spawn use PostgreSQL instead of
its SQLite file.

Each SQLite path a test would have used names one database of its own (``tt_<hash of the path>``), created on
first use: a test that restarts its server on the same path finds its board again, and two processes given
the same path share one board, exactly as they would share the file. The databases are dropped when the
session ends. Unset, nothing changes.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import threading
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ADMIN_URL = os.environ.get("TINYTASK_PY_DATABASE_URL") or None
BACKEND = "postgres" if ADMIN_URL else "sqlite"
# Why a test that reads or breaks the SQLite file itself does not run on PostgreSQL.
SQLITE_ONLY = "reads or damages the SQLite file itself; TINYTASK_PY_DATABASE_URL runs the suite on PostgreSQL"

_created: set[str] = set()
_lock = threading.Lock()


def _admin():
    import psycopg  # only needed when the variable is set

    return psycopg.connect(ADMIN_URL, autocommit=True, connect_timeout=10)


def database_name(db_path: Path | str) -> str:
    digest = hashlib.sha256(str(Path(db_path).resolve()).encode()).hexdigest()[:20]
    return f"tt_{digest}"


def url_of(name: str) -> str:
    """The admin URL with its database replaced by `name`."""
    parts = urlsplit(ADMIN_URL)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def database_url(db_path: Path | str) -> str:
    """The URL of the database standing for `db_path`, created when it does not exist yet."""
    name = database_name(db_path)
    with _lock:
        if name not in _created:
            with _admin() as conn:
                exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
                if not exists:
                    conn.execute(f'CREATE DATABASE "{name}"')
            _created.add(name)
    return url_of(name)


def query(db_path: Path | str, sql: str, params: tuple = ()) -> list[tuple]:
    """Rows of `sql` on the board standing for `db_path` (an outside reader, like sqlite3 on the file)."""
    import psycopg

    with psycopg.connect(url_of(database_name(db_path)), autocommit=True, connect_timeout=10) as conn:
        return conn.execute(sql, params).fetchall()


@atexit.register
def _drop_created() -> None:
    if not _created:
        return
    try:
        with _admin() as conn:
            for name in sorted(_created):
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    except Exception as e:  # the server may be gone at exit; the next run starts with fresh names anyway
        print(f"pg_support: could not drop the test databases: {e}")
