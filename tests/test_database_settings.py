"""The database connection as settings make it."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_postgresql_runs_without_its_jit_compiler() -> None:
    """JIT compiling the insights' aggregate queries costs more than running them
    (docs/PERFORMANCE.md); on SQLite, WAL mode and foreign keys."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW jit")
            assert cursor.fetchone()[0] == "off"
        else:
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1
