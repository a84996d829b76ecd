from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lockstep.core.imports import ImportReport, ImportSpec, run_import
from lockstep.orgs.imports import TeamsSpec, UsersSpec
from lockstep.orgs.models import Organization

SPECS: dict[str, type[TeamsSpec] | type[UsersSpec]] = {"teams": TeamsSpec, "users": UsersSpec}


class Command(BaseCommand):
    help = "Import teams or users from a CSV file. Nothing is written if any row is bad."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(SPECS), help="What the file holds.")
        parser.add_argument("file", help="Path to a UTF-8 CSV file, or - for standard input.")
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organization with the slug “{options['org']}”.")
        spec: ImportSpec[Any] = SPECS[options["kind"]](org)
        if options["file"] == "-":
            report = run_import(
                spec, sys.stdin.buffer, acting_user=None, dry_run=options["dry_run"]
            )
        else:
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            with path.open("rb") as stream:
                report = run_import(spec, stream, acting_user=None, dry_run=options["dry_run"])
        self.print_report(report)
        if not report.ok:
            raise CommandError(f"{report.rejected_rows or 1} row(s) rejected; nothing was written.")

    def print_report(self, report: ImportReport) -> None:
        for error in report.errors:
            self.stderr.write(f"  {error}")
        style = self.style.SUCCESS if report.ok else self.style.ERROR
        self.stdout.write(style(report.summary()))
