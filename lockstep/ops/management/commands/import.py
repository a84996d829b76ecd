from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lockstep.core.errors import DomainError
from lockstep.core.imports import (
    ImportKind,
    ImportReport,
    Progress,
    import_kind,
    import_kinds,
    run_import,
)
from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.orgs.models import Organization

SHOWN_ERRORS = 1000
SHOWN_WARNINGS = 100


class Command(BaseCommand):
    help = (
        "Import teams, users, leads or opportunities from CSV (or XLSX for leads and "
        "opportunities). Nothing is written if any row is bad, unless --partial."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = import_kinds()
        presets = sorted({p for k in kinds.values() for p in k.presets})
        parser.add_argument("kind", choices=sorted(kinds), help="What the file holds.")
        parser.add_argument("file", help="Path to a CSV or XLSX file, or - for standard input.")
        parser.add_argument("--org", required=True, help="The organization's slug.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check and count; write nothing."
        )
        parser.add_argument(
            "--partial", action="store_true", help="Write the good rows even if some are bad."
        )
        parser.add_argument(
            "--preset", choices=presets, default="auto",
            help="Column names of a Salesforce or HubSpot export (default: recognise "
            "either); generic: Lockstep's field names only.",
        )  # fmt: skip
        parser.add_argument(
            "--map", action="append", default=[], metavar="COLUMN=FIELD",
            help='Map a column of your file to a field, e.g. --map "Deal ID=external_id" '
            '(it wins over the preset); --map "Column=" ignores a column.',
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        org = Organization.objects.filter(slug=options["org"]).first()
        if org is None:
            raise CommandError(f"No organization with the slug “{options['org']}”.")
        kind = import_kind(options["kind"])
        if kind is None:  # argparse's choices make this unreachable
            raise CommandError(f"Cannot import “{options['kind']}”.")
        spec = kind.make_spec(org, preset=options["preset"], mapping=self.mapping(options, kind))
        kwargs: dict[str, Any] = {
            "acting_user": None, "dry_run": options["dry_run"], "partial": options["partial"],
            "progress": self.progress_bar if sys.stderr.isatty() else None,
        }  # fmt: skip
        try:
            if options["file"] == "-":
                report = run_import(spec, sys.stdin.buffer, file_name="(standard input)", **kwargs)
            else:
                path = Path(options["file"])
                if not path.is_file():
                    raise CommandError(f"No such file: {path}")
                with path.open("rb") as stream:
                    report = run_import(spec, stream, file_name=path.name, **kwargs)
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.print_report(report)
        if not report.ok:
            raise CommandError(f"{counted(report.rejected_rows or 1, 'row', 'rows')} rejected.")

    def mapping(self, options: dict[str, Any], kind: ImportKind) -> dict[str, str]:
        if not kind.presets:
            if options["map"] or options["preset"] != "auto" or options["partial"]:
                raise CommandError(
                    "--map, --preset and --partial apply to leads and opportunities."
                )
            return {}
        mapping = {}
        for pair in options["map"]:
            column, sep, field = pair.rpartition("=")
            if not sep or not column.strip():
                raise CommandError(f"--map takes “Column=field” (or “Column=”), not “{pair}”.")
            field = field.strip()
            if field and field not in kind.fields:
                raise CommandError(f"Unknown field “{field}”. Fields: {', '.join(kind.fields)}.")
            mapping[column.strip()] = field
        return mapping

    def progress_bar(self, progress: Progress) -> None:
        """One bar over both passes: checking (bytes read), then writing."""
        share = 0.7 * progress.share if progress.phase == "checking" else 0.7 + 0.3 * progress.share
        filled = int(30 * min(share, 1.0))
        bar = "█" * filled + "·" * (30 - filled)
        self.stderr.write(
            f"\r  {progress.phase:>8} [{bar}] {share:4.0%}  {progress.rows:,} rows", ending=""
        )

    def print_report(self, report: ImportReport) -> None:
        if sys.stderr.isatty():
            self.stderr.write("")
        for error in report.errors[:SHOWN_ERRORS]:
            self.stderr.write(f"  {error}")
        if report.error_count > SHOWN_ERRORS:
            self.stderr.write(f"  …and {report.error_count - SHOWN_ERRORS:,} more errors")
        for warning in report.warnings[:SHOWN_WARNINGS]:
            self.stderr.write(f"  warning: {warning}")
        if report.warning_count > SHOWN_WARNINGS:
            self.stderr.write(f"  …and {report.warning_count - SHOWN_WARNINGS:,} more warnings")
        style = self.style.SUCCESS if report.ok else self.style.ERROR
        self.stdout.write(style(report.summary()))
        for line in report.details():
            self.stdout.write(f"  {line}")
