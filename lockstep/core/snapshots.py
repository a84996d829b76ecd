"""Figures computed once per change of the data, not once per page view.

The analysis pages (funnel, results, scorecard) compute their figures with a handful of
set-based queries; at scale that is a quarter to half a second of work per view. Every
write to the database (whatever path made it: a service, a bulk import, an `update()`, the
API) increases one number after it commits (`DataVersion`, watched by a database execute
wrapper installed on every connection), and `figures(kind, key, compute)` keeps what
`compute` returned under (that number, the current minute, kind, key) in the "figures"
cache (in memory per process by default; settings.CACHES can point it at a shared cache).

So a page shows figures that are never older than the last committed write, and at most a
minute behind the clock for what the clock alone changes (an SLA clock running out, a new
day of a period). `LOCKSTEP_FIGURES_CACHE=0` turns it off (the test settings do, except in
the tests of this module).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import secrets
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

log = logging.getLogger(__name__)

T = TypeVar("T")

TABLE = "core_dataversion"
# Writes that change no figure: sessions, the task queue, sign-in throttling, tokens' last
# use, the scheduler, notifications and sent mail, the version itself.
IGNORED_TABLES = (
    TABLE,
    "django_session",
    "django_tasks_database_dbtaskresult",
    "accounts_loginattempt",
    "accounts_rateevent",
    "ops_periodicjobstate",
    "ops_workerheartbeat",
    "core_notification",
    "core_sentmessage",
    "core_importjob",
)
WRITES = ("insert", "update", "delete", "replace")
# A member's "last seen" stamp (the tenancy middleware) and a token's last use (the API).
IGNORED_UPDATES = (
    'update "orgs_membership" set "last_seen_at" =',
    'update "accounts_apitoken" set "last_used_at" =',
)


def _is_watched_write(sql: str) -> bool:
    head = sql.lstrip()[:160].lower()
    if not head.startswith(WRITES):
        return False
    if head.startswith(IGNORED_UPDATES):
        return False
    # the table is the first quoted name after INSERT INTO / UPDATE / DELETE FROM
    quoted = head.split('"', 2)
    table = quoted[1] if len(quoted) > 2 else ""
    return table not in IGNORED_TABLES


def _bump(alias: str) -> None:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute(f'UPDATE "{TABLE}" SET "n" = "n" + 1')  # noqa: S608 — a constant
    except DatabaseError:  # before the table exists (migrating): nothing is kept yet
        log.debug("data version not bumped", exc_info=True)


def _pending(conn: BaseDatabaseWrapper) -> bool:
    return any(getattr(entry[1], "_lockstep_bump", False) for entry in conn.run_on_commit)


def _watch(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    result = execute(sql, params, many, context)
    if isinstance(sql, str) and _is_watched_write(sql):
        conn: BaseDatabaseWrapper = context["connection"]
        if not conn.in_atomic_block:
            _bump(conn.alias)  # the write committed with the statement
        elif not _pending(conn):

            def after_commit() -> None:
                _bump(conn.alias)

            after_commit._lockstep_bump = True  # type: ignore[attr-defined]
            transaction.on_commit(after_commit, using=conn.alias)
    return result


def watch(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: watch the connection's writes."""
    if _watch not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch)


def reset(alias: str = "default") -> None:
    """Forget the version (after a restore): the next read draws a new epoch, so figures
    kept for the database as it was are never shown."""
    conn = connections[alias]
    with conn.cursor() as cursor:
        if TABLE in conn.introspection.table_names(cursor):  # not in schemas before it
            cursor.execute(f'DELETE FROM "{TABLE}"')  # noqa: S608 — a constant


def current() -> tuple[str, int]:
    """(epoch, number) of the data as of now."""
    from lockstep.core.models import DataVersion

    row = DataVersion.objects.values_list("epoch", "n").order_by("pk").first()
    if row is None:  # a new or flushed database
        made = DataVersion.objects.create(epoch=secrets.token_hex(8))
        return made.epoch, made.n
    return row


def enabled() -> bool:
    return bool(getattr(settings, "LOCKSTEP_FIGURES_CACHE", True))


def figures(kind: str, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """What `compute()` returns, computed once per data version and minute."""
    if not enabled():
        return compute()
    epoch, n = current()
    minute = int(timezone.now().timestamp() // 60)
    digest = hashlib.blake2b(repr(key).encode(), digest_size=12).hexdigest()
    cache_key = f"fig:{epoch}:{n}:{minute}:{kind}:{digest}"
    cache = caches["figures"]
    value = cache.get(cache_key)
    if value is None:
        value = compute()
        try:
            cache.set(cache_key, value, timeout=120)
        except (pickle.PicklingError, TypeError, AttributeError):  # e.g. a lambda inside
            log.warning("figures %s not kept: they cannot be pickled", kind, exc_info=True)
    return value  # type: ignore[no-any-return]
