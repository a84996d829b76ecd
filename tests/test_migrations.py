"""Migrations on a real database: all of them from empty, and an upgrade with data — the demo
taken back to the previous version of every app, then `lockstep migrate` (directly, and
through a backup of the older version restored here)."""

from __future__ import annotations

import json
from pathlib import Path

from django.apps import apps
from django.db.migrations import Migration, SeparateDatabaseAndState
from django.db.migrations.loader import MigrationLoader

from tests.procs import (
    Site,
    demo_copy,  # noqa: F401 — fixtures
    demo_site,  # noqa: F401
    migrated_site,  # noqa: F401
    ops_base,  # noqa: F401
    sqlite_demo_site,  # noqa: F401
    table_state,
)


def moves_state(migration: Migration) -> bool:
    """Only the other half of a model moved between apps (state operations, no database
    ones): it shipped in the same release as the half in the other app, so the schema
    without it was never a release (and names a table by no model, or by two)."""
    return all(
        isinstance(op, SeparateDatabaseAndState) and not op.database_operations
        for op in migration.operations
    )


def previous_versions() -> list[tuple[str, str]]:
    """For each Lockstep app, the migration before its last one, if that last one can be
    reversed: the schema of the previous release."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    targets = []
    for app in sorted(loader.migrated_apps):
        if not apps.get_app_config(app).name.startswith("lockstep."):
            continue
        leaves = loader.graph.leaf_nodes(app)
        if len(leaves) != 1:
            continue
        last = loader.graph.nodes[leaves[0]]
        parents = [p for p in loader.graph.node_map[leaves[0]].parents if p.key[0] == app]
        if parents and all(op.reversible for op in last.operations) and not moves_state(last):
            targets.append((app, parents[0].key[1]))
    return targets


def test_every_migration_applies_to_an_empty_database(migrated_site: Site) -> None:  # noqa: F811
    """The site was made by `lockstep migrate` on an empty database (SQLite file, or a new
    PostgreSQL database)."""
    plan = migrated_site.run("showmigrations", "--plan").stdout
    assert "[X]" in plan and "[ ]" not in plan
    assert plan.count("[X]") == len(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


# Written by `migrate` itself: which migrations ran, and the content types and permissions
# it creates for new models.
BOOKKEEPING = {"django_migrations", "django_content_type", "auth_permission"}
BOOKKEEPING_MODELS = {"contenttypes.contenttype", "auth.permission"}
# Tables a migration fills with random values by design: migrating the same data twice
# gives other values (each calendar UID's random part, programs 0007).
RANDOM_FILL = {"programs.trainingitem"}


def test_demo_data_survives_an_upgrade(demo_copy: Site, ops_base: Path) -> None:  # noqa: F811
    latest = table_state(demo_copy)
    targets = previous_versions()
    assert targets, "no app has a reversible last migration to go back from"
    demo_copy.script(
        "from django.core.management import call_command\n"
        "for app, name in json.loads(sys.argv[1]):\n"
        "    call_command('migrate', app, name, verbosity=0)\n"
        "print(1)",
        json.dumps(targets),
    )
    older = table_state(demo_copy)  # the previous release, with the demo's data
    assert older["counts"] != latest["counts"]
    backup = demo_copy.data_dir / "older.tar.gz"
    demo_copy.run("backup", str(backup))
    # The upgrade in place: no row of the older version is lost (tables may be renamed:
    # rep questions moved from programs to feedback); tables whose columns did not change
    # are identical.
    demo_copy.run("migrate")
    upgraded = table_state(demo_copy)

    def rows(state: dict[str, dict[str, int]]) -> int:
        return sum(n for table, n in state["counts"].items() if table not in BOOKKEEPING)

    assert rows(upgraded) == rows(older) > 10_000
    for table, count in older["counts"].items():
        if table in upgraded["counts"] and table not in BOOKKEEPING:
            assert upgraded["counts"][table] == count, table
    same_columns = [
        label for label, (_, digest) in older["digests"].items()
        if label not in BOOKKEEPING_MODELS and digest == latest["digests"].get(label, [0, ""])[1]
    ]  # fmt: skip
    assert len(same_columns) > 20
    for label in same_columns:
        assert upgraded["digests"][label] == older["digests"][label], label
    # A backup of the older version restored here comes out exactly as the upgrade in place.
    restored = Site.create(ops_base)
    try:
        assert "Migrated to this version" in restored.run("restore", str(backup)).stdout
        again = table_state(restored)
        assert again["counts"] == upgraded["counts"]
        for label, value in upgraded["digests"].items():
            if label in RANDOM_FILL:
                assert again["digests"][label][0] == value[0], label  # the same rows
            elif label not in BOOKKEEPING_MODELS:
                assert again["digests"][label] == value, label
    finally:
        restored.destroy()
