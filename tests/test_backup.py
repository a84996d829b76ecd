"""Backup while the app serves and writes, restore into an empty installation (same
database, and SQLite → PostgreSQL), compare every table and file; export one organization."""

from __future__ import annotations

import csv
import json
import random
import signal
import threading
from pathlib import Path

import pytest

from tests.procs import (
    ON_POSTGRES,
    Site,
    answer_pulse,
    demo_copy,  # noqa: F401 — fixtures
    demo_site,  # noqa: F401
    empty_site,  # noqa: F401
    free_port,
    media_state,
    ops_base,  # noqa: F401
    pulse_target,
    serving,
    sessions,
    sqlite_demo_site,  # noqa: F401
    table_state,
    wait_for,
)

UPLOADS = {
    "orgs/1/programs/battlecard.pdf": b"%PDF-1.4 battlecard " + bytes(range(256)) * 40,
    "imports/2026/11/leads.csv": b"Lead ID,Company\n00Q1,Initech\n",
}


def add_uploads(site: Site) -> None:
    for name, content in UPLOADS.items():
        path = site.data_dir / "media" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    site.script(
        "from lockstep.programs.models import Asset\n"
        "asset = Asset.objects.filter(program__org__slug='demo').first()\n"
        "asset.file, asset.url = 'orgs/1/programs/battlecard.pdf', ''\n"
        "asset.save(update_fields=['file', 'url'])\n"
        "print(json.dumps(asset.pk))"
    )


def assert_same(source: Site, restored: Site) -> None:
    before, after = table_state(source), table_state(restored)
    assert before["counts"] == after["counts"]
    assert before["digests"] == after["digests"]
    assert sum(rows for rows, _ in after["digests"].values()) > 10_000
    assert media_state(source) == media_state(restored)
    restored_files = media_state(restored)
    assert all(restored_files[name] == content for name, content in UPLOADS.items())


def test_backup_while_serving_and_writing_then_restore_everything(
    demo_copy: Site,  # noqa: F811
    empty_site: Site,  # noqa: F811
    ops_base: Path,  # noqa: F811
) -> None:
    add_uploads(demo_copy)
    demo_copy.extra_env["LOCKSTEP_DEMO"] = "1"  # `serve` refuses the demo data otherwise
    port = free_port()
    app = demo_copy.start("serve", "--port", str(port), "--workers", "2", log="serve.log")
    wait_for(lambda: serving(port), 120, 0.1)
    target = pulse_target(demo_copy)
    cookies = list(sessions(demo_copy, target["reps"][:40]).values())
    stop, statuses = threading.Event(), []

    def write() -> None:
        while not stop.is_set():
            statuses.append(
                answer_pulse(port, target["program"], random.choice(cookies), random.randint(1, 5))
            )

    writers = [threading.Thread(target=write) for _ in range(3)]
    for writer in writers:
        writer.start()
    try:
        wait_for(lambda: len(statuses) >= 10, 60, what="writes to start")
        live = demo_copy.data_dir / "live.tar.gz"
        out = demo_copy.run("backup", str(live)).stdout
        assert "Backed up" in out and live.stat().st_size > 10_000
        assert live.stat().st_mode & 0o777 == 0o600
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    assert statuses and set(statuses) == {302}, set(statuses)  # writes went on meanwhile
    app.send_signal(signal.SIGTERM)
    assert app.wait(timeout=20) == 0
    demo_copy.extra_env.pop("LOCKSTEP_DEMO")
    # The backup taken under load restores, and checks itself against its manifest; never
    # over data, nor from a file that is not a backup.
    refused = demo_copy.run("restore", str(live), check=False)
    assert refused.returncode != 0 and "empty" in refused.stderr
    out = empty_site.run("restore", str(live)).stdout
    assert "counts and checksums match" in out
    broken = demo_copy.data_dir / "not-a-backup.tar.gz"
    broken.write_bytes(b"nonsense")
    refused = demo_copy.run("restore", str(broken), check=False)
    assert refused.returncode != 0 and "not a readable Lockstep backup" in refused.stderr
    # A backup of the stopped site restores to exactly the same tables and files.
    quiet = demo_copy.data_dir / "quiet.tar.gz"
    demo_copy.extra_env["LOCKSTEP_SECRET_KEY"] = ""  # the key generated in the data dir
    demo_copy.run("backup", str(quiet))
    again = Site.create(ops_base)
    again.extra_env["LOCKSTEP_SECRET_KEY"] = ""
    try:
        again.run("restore", str(quiet))
        assert_same(demo_copy, again)
        # Its secret key came along: sessions and signed links made before still work.
        secret = (again.data_dir / "secret.key").read_bytes()
        assert secret == (demo_copy.data_dir / "secret.key").read_bytes()
        assert (again.data_dir / "secret.key").stat().st_mode & 0o777 == 0o600
    finally:
        again.destroy()


@pytest.mark.skipif(not ON_POSTGRES, reason="moves a SQLite install to PostgreSQL")
def test_moving_from_sqlite_to_postgresql(ops_base: Path, sqlite_demo_site: Site) -> None:  # noqa: F811
    sqlite = Site.create(ops_base, template=sqlite_demo_site, engine="sqlite")
    postgres = Site.create(ops_base, engine="postgresql")
    try:
        add_uploads(sqlite)
        backup = sqlite.data_dir / "move.tar.gz"
        sqlite.run("backup", str(backup))
        out = postgres.run("restore", str(backup)).stdout
        assert "Restored a sqlite backup into postgresql" in out
        before, after = table_state(sqlite), table_state(postgres)
        assert (before["engine"], after["engine"]) == ("sqlite", "postgresql")
        assert before["digests"] == after["digests"]
        assert before["counts"] == after["counts"]
        assert media_state(sqlite) == media_state(postgres)
        # Ids keep counting after the restored ones.
        created = postgres.run(
            "createorg", "--name", "After", "--slug", "after", "--owner-email", "a@after.example"
        )
        assert created.returncode == 0
    finally:
        sqlite.destroy()
        postgres.destroy()


def test_export_one_organization(demo_copy: Site) -> None:  # noqa: F811
    demo_copy.run(
        "createorg", "--name", "Other", "--slug", "other", "--owner-email", "boss@other.example"
    )
    add_uploads(demo_copy)
    out_dir = demo_copy.data_dir.parent / f"{demo_copy.data_dir.name}-export"
    out = demo_copy.run("export", "--org", "demo", str(out_dir)).stdout
    assert "Exported Northwind Analytics" in out
    manifest = json.loads((out_dir / "manifest.json").read_text())
    tables = manifest["tables"]
    counts = demo_copy.script(
        "from lockstep.results.models import Lead\n"
        "from lockstep.orgs.models import Membership\n"
        "print(json.dumps([Lead.objects.filter(org__slug='demo').count(),"
        " Membership.objects.filter(org__slug='demo').count()]))"
    )
    assert tables["results.lead"]["rows"] == counts[0] > 2000
    assert tables["accounts.user"]["rows"] == counts[1]
    assert tables["orgs.organization"]["rows"] == 1
    for label in ["programs.checkchoice", "orgs.membership_led_teams", "core.activityevent"]:
        assert tables[label]["rows"] > 0, label
    assert "password" not in tables["accounts.user"]["columns"]
    assert "token_hash" not in tables.get("accounts.apitoken", {"columns": []})["columns"]
    with (out_dir / "accounts.user.csv").open() as handle:
        emails = {row["email"] for row in csv.DictReader(handle)}
    assert "rep@demo.example" in emails and "boss@other.example" not in emails
    assert "auth.permission" not in tables and "django_tasks_database.dbtaskresult" not in tables
    assert (out_dir / "files" / "orgs/1/programs/battlecard.pdf").read_bytes() == UPLOADS[
        "orgs/1/programs/battlecard.pdf"
    ]
    again = demo_copy.run("export", "--org", "demo", str(out_dir), check=False)
    assert again.returncode != 0 and "not empty" in again.stderr
