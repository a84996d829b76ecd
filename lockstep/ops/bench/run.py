"""`lockstep bench run`: for each size, the largest program's funnel and results figures
by the product and by hand-written SQL (checked equal first, then timed side by side),
the queries each computation and each page makes, and the pages under wrk."""

from __future__ import annotations

import datetime as dt
import logging
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.permissions import Role
from lockstep.ops.bench import figures, hand
from lockstep.ops.bench.generate import BenchError, bench_slug, generate
from lockstep.ops.bench.http import Server, load, session_cookie
from lockstep.orgs.models import Membership, Organization
from lockstep.programs.models import Program
from lockstep.programs.selectors import audience_team_ids

Say = Callable[[str], None]


def largest_program(org: Organization) -> Program:
    program = Program.objects.for_org(org).annotate(n=Count("leads")).order_by("-n", "pk").first()
    if program is None:
        raise BenchError(f"{org.slug} has no program")
    return program


def ensure_generated(size: str, say: Say) -> Organization:
    """The size's bench organization, generated first if it is not there yet."""
    org = Organization.objects.filter(slug=bench_slug(size)).first()
    if org is not None:
        if not org.extra.get("bench", {}).get("complete"):
            raise BenchError(
                f"“{org.slug}” is incomplete (an interrupted generate): use a fresh bench "
                "database (or data directory)"
            )
        return org
    say(f"Generating size {size} ({connection.vendor})…")
    done = generate(size, say=say)
    say(f"Generated size {size} in {done.seconds:.0f} s")
    return done.org


def wait_for_quiet(threshold: float, longest: float, say: Say) -> dict[str, Any]:
    """Wait (polling every minute) until the 1-minute load average is below `threshold`,
    at most `longest` seconds; say what happened."""
    started = time.monotonic()
    load = os.getloadavg()[0]
    while threshold and load >= threshold and time.monotonic() - started < longest:
        say(f"  load average {load:.2f} ≥ {threshold}: waiting…")
        time.sleep(min(60.0, max(1.0, longest - (time.monotonic() - started))))
        load = os.getloadavg()[0]
    waited = round(time.monotonic() - started)
    return {"load": round(load, 2), "waited_s": waited, "quiet": not threshold or load < threshold}


def _timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return (time.perf_counter() - started) * 1000


def _queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as captured:
        fn()
    return len(captured.captured_queries)


def figures_side_by_side(program: Program, runs: int) -> dict[str, Any]:
    """Check the product and the hand SQL agree on every figure, then time both, alternating
    (median of `runs` after one warm-up run each)."""
    now = timezone.now()
    checks = {
        "funnel": figures.differences(figures.funnel(program, now), hand.funnel(program.pk, now)),
        "results": figures.differences(
            figures.results(program, now), hand.results(program.pk, now)
        ),
    }
    for name, diffs in checks.items():
        if diffs:
            raise BenchError(
                f"the product's and the hand SQL's {name} figures differ for {program.name}:\n  "
                + "\n  ".join(diffs)
            )
    jobs: dict[str, Callable[[], Any]] = {
        "funnel_product": lambda: figures.funnel(program, timezone.now()),
        "funnel_hand": lambda: hand.funnel(program.pk, timezone.now()),
        "results_product": lambda: figures.results(program, timezone.now()),
        "results_hand": lambda: hand.results(program.pk, timezone.now()),
    }
    queries = {name: _queries(job) for name, job in jobs.items()}
    times: dict[str, list[float]] = {name: [] for name in jobs}
    for _ in range(runs):
        for name, job in jobs.items():
            times[name].append(_timed(job))
    medians = {name: round(statistics.median(values), 1) for name, values in times.items()}
    for side in ("product", "hand"):
        totals = [
            f + r for f, r in zip(times[f"funnel_{side}"], times[f"results_{side}"], strict=True)
        ]
        medians[f"scorecard_{side}"] = round(statistics.median(totals), 1)
    return {"ms": medians, "queries": queries, "runs": runs, "checked": True}


def bench_people(org: Organization, program: Program) -> tuple[User, User]:
    """The rep whose brief and home are measured (the first rep of the largest program's
    audience) and the owner who reads the funnel and the results."""
    teams = audience_team_ids(program)
    rep = (
        Membership.objects.for_org(org)
        .filter(role=Role.REP, team_id__in=teams)
        .select_related("user")
        .order_by("user__email")
        .first()
    )
    owner = Membership.objects.for_org(org).filter(role=Role.OWNER).select_related("user").first()
    if rep is None or owner is None:
        raise BenchError(f"{org.slug} has no rep in {program.name}'s audience, or no owner")
    return rep.user, owner.user


def pages(org: Organization, program: Program) -> list[tuple[str, str, str]]:
    """(page, who, path): each page with the member it is measured for; the trivial page
    (the base layout) once per member."""
    slug, pid = org.slug, program.pk
    with override_settings(ROOT_URLCONF="lockstep.ops.bench.urlconf"):
        trivial = reverse("bench_base", kwargs={"org_slug": slug})
        found = [
            ("trivial", "rep", trivial),
            ("rep home", "rep", reverse("insights:home", kwargs={"org_slug": slug})),
            (
                "rep brief",
                "rep",
                reverse("briefs:brief", kwargs={"org_slug": slug, "program_id": pid}),
            ),
            ("trivial", "owner", trivial),
            (
                "funnel",
                "owner",
                reverse("insights:funnel", kwargs={"org_slug": slug, "program_id": pid}),
            ),
            (
                "results",
                "owner",
                reverse("results:program", kwargs={"org_slug": slug, "program_id": pid}),
            ),
        ]
        try:
            scorecard = reverse("insights:scorecard", kwargs={"org_slug": slug, "program_id": pid})
        except NoReverseMatch:
            pass
        else:
            found.append(("scorecard", "owner", scorecard))
    return found


def page_queries(people: dict[str, User], found: list[tuple[str, str, str]]) -> dict[str, int]:
    """The queries each page makes (in this process, through Django's test client)."""
    out: dict[str, int] = {}
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)  # as `lockstep serve` does
    quiet = logging.getLogger("lockstep.request")
    level = quiet.level
    quiet.setLevel(logging.WARNING)  # no line per request here
    try:
        # the pages as they compute their figures (a kept page reads one row instead)
        with override_settings(
            ROOT_URLCONF="lockstep.ops.bench.urlconf", LOCKSTEP_FIGURES_CACHE=False
        ):
            _count_pages(people, found, out)
    finally:
        quiet.setLevel(level)
    return out


def _count_pages(
    people: dict[str, User], found: list[tuple[str, str, str]], out: dict[str, int]
) -> None:
    clients = {}
    for who, user in people.items():
        clients[who] = Client(HTTP_HOST="127.0.0.1")
        clients[who].force_login(user)
        clients[who].get(found[0][2])  # the once-in-5-minutes "last seen" write
    for page, who, path in found:
        with CaptureQueriesContext(connection) as captured:
            response = clients[who].get(path)
        if response.status_code != 200:
            raise BenchError(f"GET {path} as the {who}: {response.status_code}")
        out[f"{page} ({who})"] = len(captured.captured_queries)


def http_side_by_side(
    people: dict[str, User], found: list[tuple[str, str, str]], seconds: int, say: Say
) -> dict[str, Any]:
    cookies = {who: session_cookie(user) for who, user in people.items()}
    out: dict[str, Any] = {}
    with (
        tempfile.TemporaryDirectory(prefix="lockstep-bench-") as folder,
        Server(Path(folder)) as server,
    ):
        for page, who, path in found:
            began = time.perf_counter()
            server.status(path, cookies[who])
            if time.perf_counter() - began < 0.5:  # a fast page: warm every worker up
                load(server, path, cookies[who], seconds=2)
            result = load(server, path, cookies[who], seconds=seconds)
            key = f"{page} ({who})"
            out[key] = {"path": path, **result.__dict__}
            say(
                f"    {key:<20} {result.per_second:>8.1f} req/s  p50 {result.p50_ms:>7.1f} ms  "
                f"p95 {result.p95_ms:>7.1f} ms"
                + (f"  {result.failed} failed" if result.failed else "")
            )
    return out


def run_size(
    size: str, *, runs: int, http_seconds: int, quiet: float, quiet_wait: float, say: Say
) -> dict[str, Any]:
    org = ensure_generated(size, say)
    program = largest_program(org)
    rep, owner = bench_people(org, program)
    info = org.extra["bench"]
    leads = program.leads.count()
    reps = (
        Membership.objects.for_org(org)
        .filter(role__in=[Role.REP, Role.PARTNER_REP], team_id__in=audience_team_ids(program))
        .count()
    )
    say(
        f"Size {size}: {info['counts']['leads']:,} leads, {info['counts']['events']:,} events; "
        f"largest program “{program.name}” ({leads:,} leads)"
    )
    out: dict[str, Any] = {
        "size": size,
        "generated": {k: info.get(k) for k in ("anchor", "seconds", "timings", "counts")},
        "program": {"id": program.pk, "name": program.name, "leads": leads, "reps": reps},
    }
    out["quiet"] = wait_for_quiet(quiet, quiet_wait, say)
    out["figures"] = figures_side_by_side(program, runs)
    ms = out["figures"]["ms"]
    for name in ("funnel", "results", "scorecard"):
        say(
            f"  {name:<9} product {ms[f'{name}_product']:>9.1f} ms   hand SQL "
            f"{ms[f'{name}_hand']:>8.1f} ms   ×{ms[f'{name}_product'] / ms[f'{name}_hand']:.2f}"
        )
    found = pages(org, program)
    people = {"rep": rep, "owner": owner}
    out["page_queries"] = page_queries(people, found)
    if http_seconds:
        out["quiet_http"] = wait_for_quiet(quiet, quiet_wait, say)
        out["http"] = http_side_by_side(people, found, http_seconds, say)
    return out


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory_gib": round(memory, 1),
        "python": platform.python_version(),
    }


def database() -> str:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT split_part(current_setting('server_version'), ' ', 1), "
                "current_setting('jit')"
            )
            version, jit = cursor.fetchone()
            return f"PostgreSQL {version}" + (" (JIT off)" if jit == "off" else "")
    with connection.cursor() as cursor:
        cursor.execute("SELECT sqlite_version()")
        return f"SQLite {cursor.fetchone()[0]} (WAL)"


def run(
    sizes: list[str],
    *,
    runs: int = 5,
    http_seconds: int = 10,
    quiet: float = 0.0,
    quiet_wait: float = 0.0,
    say: Say = print,
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "vendor": connection.vendor,
        "database": database(),
        "date": dt.date.today().isoformat(),  # noqa: DTZ011 — the machine's date, for the record
        "machine": machine(),
        "sizes": {},
    }
    for size in sizes:
        result["sizes"][size] = run_size(
            size,
            runs=runs,
            http_seconds=http_seconds,
            quiet=quiet,
            quiet_wait=quiet_wait,
            say=say,
        )
    return result
