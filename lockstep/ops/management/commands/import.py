from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lockstep.core.imports import ImportReport, ImportSpec, run_import
from lockstep.orgs.imports import TeamsSpec, UsersSpec
from lockstep.orgs.models import Organization
from lockstep.results.imports import LEAD_PRESETS, LeadsSpec, OpportunitiesSpec
from lockstep.results.jobs import Counting

KINDS = ("teams", "users", "leads", "opportunities")


class Command(BaseCommand):
    help = (
        "Import teams, users, leads or opportunities from CSV (or XLSX for leads and "
        "opportunities). Nothing is written if any row is bad, unless --partial."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=KINDS, help="What the file holds.")
        parser.add_argument("file", help="Path to a CSV or XLSX file, or - for standard input.")
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )
        parser.add_argument(
            "--partial", action="store_true", help="Write the good rows even if some are bad."
        )
        parser.add_argument(
            "--preset", choices=sorted(LEAD_PRESETS), default="generic",
            help="Column names of a Salesforce or HubSpot export (leads, opportunities).",
        )  # fmt: skip
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD",
            help='Map a column of your file to a field, e.g. --map "Deal ID=external_id".',
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organization with the slug “{options['org']}”.")
        spec = self.spec(options, org)
        kwargs = {"acting_user": None, "dry_run": options["dry_run"], "partial": options["partial"]}
        if options["file"] == "-":
            report = run_import(spec, sys.stdin.buffer, file_name="(standard input)", **kwargs)
        else:
            path = Path(options["file"])
            if not path.is_file():
                raise CommandError(f"No such file: {path}")
            with path.open("rb") as raw:
                stream = Counting(raw)
                size = path.stat().st_size or 1
                show = sys.stderr.isatty()

                def progress(rows: int) -> None:
                    if show:
                        self.progress_bar(rows, stream.position / size)

                report = run_import(spec, stream, progress=progress, file_name=path.name, **kwargs)  # type: ignore[arg-type]
        self.print_report(report)
        if not report.ok:
            raise CommandError(f"{report.rejected_rows or 1} row(s) rejected.")

    def spec(self, options: dict[str, Any], org: Organization) -> ImportSpec[Any]:
        kind = options["kind"]
        if kind in ("teams", "users"):
            if options["map"] or options["preset"] != "generic" or options["partial"]:
                raise CommandError(
                    "--map, --preset and --partial apply to leads and opportunities."
                )
            return TeamsSpec(org) if kind == "teams" else UsersSpec(org)
        overrides = {}
        for pair in options["map"]:
            column, sep, field = pair.rpartition("=")
            if not sep or not column.strip() or not field.strip():
                raise CommandError(f"--map takes “Column=field”, not “{pair}”.")
            overrides[column.strip()] = field.strip()
        spec_class = LeadsSpec if kind == "leads" else OpportunitiesSpec
        unknown = (
            set(overrides.values())
            - set(spec_class.required_columns)
            - set(spec_class.optional_columns)
        )
        if unknown:
            fields = ", ".join(spec_class.required_columns + spec_class.optional_columns)
            raise CommandError(f"Unknown field “{sorted(unknown)[0]}”. Fields: {fields}.")
        return spec_class(org, options["preset"], overrides)

    def progress_bar(self, rows: int, share: float) -> None:
        filled = int(30 * min(share, 1.0))
        bar = "█" * filled + "·" * (30 - filled)
        self.stderr.write(f"\r  checking [{bar}] {share:4.0%}  {rows:,} rows", ending="")

    def print_report(self, report: ImportReport) -> None:
        if sys.stderr.isatty():
            self.stderr.write("")
        for error in report.errors[:1000]:
            self.stderr.write(f"  {error}")
        if len(report.errors) > 1000:
            self.stderr.write(f"  …and {len(report.errors) - 1000} more")
        style = self.style.SUCCESS if report.ok else self.style.ERROR
        self.stdout.write(style(report.summary()))
