from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lockstep.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database and uploaded files into FILE (.tar.gz), consistently, while "
        "Lockstep runs. Restore with `lockstep restore FILE`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", help="Where to write the backup, e.g. lockstep-2026-11-29.tar.gz"
        )
        parser.add_argument("--no-media", action="store_true", help="Leave the uploaded files out.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = backup(Path(options["file"]), stream=sys.stderr, media=not options["no_media"])
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Backed up {report.engine}: {report.tables} tables, {report.rows:,} rows, "
                f"{report.media_files} files ({report.media_bytes / 1e6:,.1f} MB) into "
                f"{report.path} ({report.bytes / 1e6:,.1f} MB)."
            )
        )
