from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from lockstep.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup into an empty database and data directory (SQLite or PostgreSQL, "
        "whichever the backup came from), verify every table, then migrate to this version."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="A backup written by `lockstep backup`.")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        try:
            report = restore(path, stream=sys.stderr)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            self.style.SUCCESS(
                f"Restored a {report.engine_from} backup into {report.engine_to}: "
                f"{report.tables} tables, {report.rows:,} rows (counts and checksums match "
                f"the backup), {report.media_files} files. Migrated to this version."
            )
        )
