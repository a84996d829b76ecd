from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import OperationalError, connection

from lockstep.ops.bench.generate import SIZES, BenchError, generate
from lockstep.ops.bench.http import HttpBenchError
from lockstep.ops.bench.report import tables
from lockstep.ops.bench.run import run


def ensure_database() -> None:
    """A PostgreSQL bench database that does not exist yet is created; then migrated."""
    try:
        connection.ensure_connection()
    except OperationalError:
        if connection.vendor != "postgresql":
            raise
        name = connection.settings_dict["NAME"]
        with connection._nodb_cursor() as cursor:
            cursor.execute(f"CREATE DATABASE {connection.ops.quote_name(name)}")
    call_command("migrate", verbosity=0, interactive=False)


def sizes(values: list[str]) -> list[str]:
    """`--sizes S M L` or `--sizes "S M"` (as make passes it)."""
    found = [s for value in values for s in value.replace(",", " ").split()]
    unknown = [s for s in found if s not in SIZES]
    if unknown:
        raise CommandError(f"unknown size {', '.join(unknown)}: pick from {', '.join(SIZES)}")
    return found


class Command(BaseCommand):
    help = (
        "The scale bench (docs/PERFORMANCE.md): `generate --size S|M|L` builds a deterministic "
        "bench organization; `run --sizes S M L` times the largest program's funnel and results "
        "against hand-written SQL and the pages under wrk; `report FILE…` prints the tables."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        make = actions.add_parser("generate", help="Build a bench organization.")
        make.add_argument("--size", required=True, choices=list(SIZES))
        make.add_argument("--org", dest="slug", help="Its slug (default: bench-<size>).")
        make.add_argument(
            "--anchor",
            type=dt.date.fromisoformat,
            help="The day the data leads up to (default: today); same size and anchor → same data.",
        )
        bench = actions.add_parser("run", help="Measure; generates the sizes not there yet.")
        bench.add_argument("--sizes", nargs="+", default=["S", "M", "L"])
        bench.add_argument("--runs", type=int, default=5, help="Timed runs per figure (median).")
        bench.add_argument(
            "--http-seconds", type=int, default=10, help="wrk's duration per page (0: no HTTP)."
        )
        bench.add_argument(
            "--quiet-load",
            type=float,
            default=0.0,
            help="Before timing, wait until the 1-minute load average is below this.",
        )
        bench.add_argument(
            "--quiet-wait", type=float, default=1200, help="…but no longer than this (seconds)."
        )
        bench.add_argument("--json", type=Path, help="Also write the results to this file.")
        report = actions.add_parser("report", help="The tables of `run --json` files.")
        report.add_argument("files", nargs="+", type=Path)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "report":
            results = [json.loads(path.read_text()) for path in options["files"]]
            self.stdout.write(tables(results))
            return
        ensure_database()
        try:
            if action == "generate":
                done = generate(
                    options["size"],
                    slug=options["slug"],
                    anchor=options["anchor"],
                    say=self.stdout.write,
                )
                counts = ", ".join(f"{k} {v:,}" for k, v in done.counts.items())
                self.stdout.write(
                    f"Generated {done.org.slug} ({connection.vendor}) in {done.seconds:,.1f} s: "
                    f"{counts}"
                )
                return
            result = run(
                sizes(options["sizes"]),
                runs=options["runs"],
                http_seconds=options["http_seconds"],
                quiet=options["quiet_load"],
                quiet_wait=options["quiet_wait"],
                say=self.stdout.write,
            )
        except (BenchError, HttpBenchError) as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            options["json"].parent.mkdir(parents=True, exist_ok=True)
            options["json"].write_text(json.dumps(result, indent=1, default=str))
        self.stdout.write("")
        self.stdout.write(tables([result]))
