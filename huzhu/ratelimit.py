"""Fixed-window rate limits shared by every web process (a row per key and window).

`hit("api:calc:203.0.113.9", limit=60, window=60)` counts one request and says whether it
is still within the limit. Used where an anonymous or repeated request could be abused:
the public calculator API, searches by full ID or phone number.
"""

import datetime
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone

from huzhu.models import RateCounter


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def _window_start(now: datetime.datetime, window: int) -> datetime.datetime:
    seconds = int(now.timestamp()) // window * window
    return datetime.datetime.fromtimestamp(seconds, tz=datetime.UTC)


def _quoted() -> tuple[str, str, str, str]:
    quote = connection.ops.quote_name
    return (quote(RateCounter._meta.db_table), quote("key"), quote("window_start"), quote("count"))


def _upsert_sql() -> str:
    table, key, window_start, count = _quoted()
    # SQLite (3.24 and later) and PostgreSQL both take this form. Only quoted identifiers
    # of the model go into the text; the key and window are parameters.
    return (
        f"INSERT INTO {table} ({key}, {window_start}, {count}) VALUES (%s, %s, 1) "  # noqa: S608
        f"ON CONFLICT ({key}, {window_start}) DO UPDATE SET {count} = {table}.{count} + 1"
    )


def _count(key: str, stored_start) -> int:
    with connection.cursor() as cursor:
        if connection.features.can_return_columns_from_insert:
            # One statement (SQLite 3.35 and later, PostgreSQL): the count after this hit
            # comes back with it.
            cursor.execute(f"{_upsert_sql()} RETURNING {_quoted()[3]}", [key, stored_start])
            return int(cursor.fetchone()[0])
        # An older SQLite: the same increment, and the count read in its transaction (SQLite
        # lets no other writer in between).
        table, key_column, window_column, count = _quoted()
        with transaction.atomic():
            cursor.execute(_upsert_sql(), [key, stored_start])
            cursor.execute(
                f"SELECT {count} FROM {table} WHERE {key_column} = %s AND {window_column} = %s",  # noqa: S608
                [key, stored_start],
            )
            return int(cursor.fetchone()[0])


def hit(key: str, *, limit: int, window: int) -> Verdict:
    """Count one hit of `key`; allowed while the window holds at most `limit` hits."""
    now = timezone.now()
    start = _window_start(now, window)
    key = key[:200]
    stored_start = RateCounter._meta.get_field("window_start").get_db_prep_value(start, connection)
    # One statement: the row of this key and window is created with 1 or incremented, and
    # the count after this hit comes back. Two processes hitting at once are serialised on
    # the row by the database, so each sees its own count and none is lost.
    count = _count(key, stored_start)
    if count == 1:
        # The first hit of a window: the older windows of this key are of no further use.
        RateCounter.objects.filter(key=key, window_start__lt=start).delete()
    retry_after = max(1, int((start - now).total_seconds()) + window)
    return Verdict(allowed=count <= limit, count=count, retry_after=retry_after)
