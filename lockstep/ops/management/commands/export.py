from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lockstep.ops.export import export_org
from lockstep.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Export every table of one organization into DIR as CSV (or JSON lines), with its "
        "uploaded files and a manifest: for leaving Lockstep or for a BI tool."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", help="An empty or new directory.")
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument("--format", choices=["csv", "jsonl"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organization with the slug “{options['org']}”.")
        try:
            report = export_org(
                org, Path(options["directory"]), fmt=options["format"], stream=sys.stderr
            )
        except FileExistsError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Exported {org.name}: {report.tables} tables, {report.rows:,} rows, "
                f"{report.files} files into {report.directory}."
            )
        )
