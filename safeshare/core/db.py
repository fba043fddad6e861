"""Database engine and the unit of work.

Every state change runs inside :func:`transaction`: one database transaction
that either commits everything (workflow state, task projection, timers,
records, audit events, outbox) or nothing.

On SQLite, write transactions start with ``BEGIN IMMEDIATE`` so two writers
queue up rather than both reading a snapshot and one failing at commit: the
second then sees the first one's result (for example "task already completed").
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DataError, IntegrityError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from safeshare.core.errors import ConfigurationError, ConflictError, UnstorableError

URL_EXAMPLES = "sqlite:///var/safeshare.db (a file under this folder) or postgresql+psycopg://user@host/database"


def parse_database_url(url: str) -> URL:
    """The URL, or one line saying what is wrong with it: the kind of database and, for SQLite, the path."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigurationError(f"The database URL {url!r} is not a URL", f"Write it as {URL_EXAMPLES}") from None
    if parsed.drivername in {"postgres", "postgresql"}:  # "postgres://" is what Heroku and others print
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername.startswith("sqlite") and (parsed.host or parsed.port):
        raise ConfigurationError(
            f"The SQLite URL {url!r} has two slashes, so {parsed.host!r} reads as a server name",
            f"Write three slashes before a path: sqlite:///{parsed.host}/{parsed.database or ''}".rstrip("/"),
        )
    try:
        parsed.get_dialect()
    except NoSuchModuleError:
        raise ConfigurationError(
            f"The database URL {url!r} names a kind of database safeshare does not use ({parsed.drivername!r})",
            f"Write it as {URL_EXAMPLES}",
        ) from None
    return parsed


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names (None for other databases and for ``:memory:``)."""
    parsed = parse_database_url(url)
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def make_engine(url: str, *, for_writes: bool = True) -> Engine:
    """Create an engine for ``url`` and check that it connects, with a clear error if not.

    ``for_writes=False`` gives SQLite readers plain deferred transactions, so
    inbox queries never queue behind writers. A SQLite file's folder is created when missing: callers that
    must not create a database (the CLI) check :func:`sqlite_file` first.
    """
    parsed = parse_database_url(url)
    kwargs: dict[str, Any] = {}
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        kwargs["connect_args"] = {"timeout": 30, "check_same_thread": False}
    else:
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(parsed, **kwargs)
    except ImportError as exc:  # a kind of database whose driver is not installed (mysql://, oracle://...)
        raise ConfigurationError(
            f"The database URL names {parsed.drivername!r}, whose driver is not installed ({exc.name})",
            f"Use SQLite or PostgreSQL: {URL_EXAMPLES}",
        ) from None
    if parsed.drivername.startswith("sqlite"):
        _configure_sqlite(engine, immediate=for_writes)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        raise ConfigurationError(
            f"Cannot connect to the database at {parsed.render_as_string(hide_password=True)}: "
            f"{str(exc.orig).strip().splitlines()[0]}",
            "Check SAFESHARE_DATABASE_URL and that the database server is running",
        ) from exc
    return engine


def _configure_sqlite(engine: Engine, *, immediate: bool) -> None:
    """WAL for concurrent readers, foreign keys on, and BEGIN IMMEDIATE for writers."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # let us emit BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def _unstorable() -> UnstorableError:
    """Input the database cannot hold (a NUL character, a number out of range) is the sender's error."""
    return UnstorableError(
        "Some of the data sent cannot be stored: text may not contain NUL characters and numbers must be in range",
        "Remove control characters and check the numbers, then try again",
    )


def _keep_object(session: Session, instance: object) -> None:
    """Hold a strong reference to every object a write session loads or adds, until it closes.

    The session's identity map holds objects weakly: a record one handler loaded and let go
    of is collected, and the next handler asking for it (``session.get``) reads it again. A
    unit of work here is one short step, so keeping its objects costs little and saves those
    repeated reads (bench/: two or more per engine step).
    """
    session.info.setdefault("kept_objects", []).append(instance)


class Database:
    """Holds the engine and hands out sessions; one per process."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.read_engine = make_engine(url, for_writes=False) if self.engine.dialect.name == "sqlite" else self.engine
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self.sessions, "loaded_as_persistent", _keep_object)
        event.listen(self.sessions, "transient_to_pending", _keep_object)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commit on success, roll back everything on any error."""
        session = self.sessions()
        try:
            with session.begin():
                yield session
        except StaleDataError as exc:
            raise ConflictError(
                "Someone else changed this at the same moment, so your change was not saved",
                "Reload and check whether it still needs doing",
            ) from exc
        except DataError as exc:
            raise _unstorable() from exc
        except IntegrityError as exc:
            raise ConflictError(
                "This conflicts with a record saved at the same moment, so nothing was saved",
                "Reload and check whether it still needs doing",
            ) from exc
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries only (still transactional, never commits changes)."""
        session = self.read_sessions()
        try:
            yield session
        except DataError as exc:
            raise _unstorable() from exc
        finally:
            session.close()  # rolls back; loaded objects stay readable after the block

    def dispose(self) -> None:
        self.engine.dispose()
        self.read_engine.dispose()
