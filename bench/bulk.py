"""Fast bulk loading for scale figures: SQLite ``executemany`` in one transaction, PostgreSQL ``COPY``.

Rows written here stand for history (finished instances, other people's open tasks, timers not yet
due): they go straight into the tables, because driving a million episodes through the engine would
take hours and measure nothing new. Anything a figure *acts on* is created through the real services.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import psycopg
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(sep=" ")  # the format SQLAlchemy's SQLite DateTime writes
    return value


def bulk_insert(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order) as fast as the backend allows; returns the count."""
    count = 0
    if engine.dialect.name == "postgresql":
        url = make_url(engine.url).set(drivername="postgresql")
        copy_sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
        with (
            psycopg.connect(url.render_as_string(hide_password=False)) as conn,
            conn.cursor() as cur,
            cur.copy(copy_sql) as copy,
        ):
            for row in rows:
                copy.write_row(row)
                count += 1
        return count
    raw = engine.raw_connection()
    try:
        sqlite_cur = raw.cursor()
        sqlite_cur.execute("BEGIN")
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})"
        batch: list[tuple[Any, ...]] = []
        for row in rows:
            batch.append(tuple(_sqlite_value(v) for v in row))
            if len(batch) >= 50_000:
                sqlite_cur.executemany(sql, batch)
                count += len(batch)
                batch.clear()
        if batch:
            sqlite_cur.executemany(sql, batch)
            count += len(batch)
        sqlite_cur.execute("COMMIT")
    finally:
        raw.close()
    return count


def analyze(engine: Engine) -> None:
    """Refresh planner statistics, as autovacuum (PostgreSQL) or ``PRAGMA optimize`` (SQLite) would."""
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def reset_sequence(engine: Engine, table: str, column: str = "id") -> None:
    """After COPY with explicit ids, move PostgreSQL's sequence past them (SQLite needs nothing)."""
    if engine.dialect.name != "postgresql":
        return
    with engine.begin() as conn:
        conn.execute(
            text(f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), (SELECT max({column}) FROM {table}))")
        )
