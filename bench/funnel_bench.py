"""Time the sell-in funnel at the demo's scale and at 10×, against a naive baseline.

    LOCKSTEP_DATA_DIR=$(mktemp -d) .venv/bin/python bench/funnel_bench.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lockstep_bench .venv/bin/python bench/funnel_bench.py

It builds one organization per scale (teams of 10 reps, one live program, events, training
completions, check attempts and pulse answers for most reps) with bulk inserts, then times
`insights.funnel.program_funnel` (SQL aggregation) and a baseline that loads the rows into
Python and counts there. Each figure is the median of 5 runs."""

from __future__ import annotations

import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lockstep.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from lockstep.accounts.models import User  # noqa: E402
from lockstep.core.models import ActivityEvent  # noqa: E402
from lockstep.core.permissions import Role  # noqa: E402
from lockstep.enablement.models import CheckAttempt, TrainingCompletion  # noqa: E402
from lockstep.feedback.models import PulseResponse, PulseRound  # noqa: E402
from lockstep.insights import funnel  # noqa: E402
from lockstep.orgs.models import Membership, Organization, Team  # noqa: E402
from lockstep.programs.models import KnowledgeCheck, Program, TrainingItem  # noqa: E402


def build(scale: int) -> Program:
    rng = random.Random(scale)
    org = Organization.objects.create(
        name=f"Bench {scale}", slug=f"bench-{scale}-{rng.randint(0, 10**6)}"
    )
    region = Team.objects.create(org=org, name="Region")
    teams = Team.objects.bulk_create(
        Team(org=org, name=f"Team {i}", parent=region) for i in range(30 * scale)
    )
    users = User.objects.bulk_create(
        User(email=f"r{scale}-{org.pk}-{i}@bench.example", password="!") for i in range(300 * scale)
    )
    members = Membership.objects.bulk_create(
        Membership(org=org, user=u, role=Role.REP, team=teams[i % len(teams)])
        for i, u in enumerate(users)
    )
    program = Program.objects.create(org=org, name="Bench", status="live")
    program.audience.add(region)
    items = [
        TrainingItem.objects.create(
            org=org,
            program=program,
            kind="self_paced",
            title=f"M{i}",
            duration_minutes=10,
            required=True,
        )
        for i in range(2)
    ]
    check = KnowledgeCheck.objects.create(org=org, program=program)
    pulse = PulseRound.objects.create(org=org, program=program, day_offset=0)
    events, completions, attempts, pulses = [], [], [], []
    for m in members:
        for verb in ("brief.opened", "brief.opened", "asset.viewed", "brief.acknowledged"):
            if rng.random() < 0.8:
                events.append(
                    ActivityEvent(org=org, actor_id=m.user_id, verb=verb, program=program)
                )
        for item in items:
            if rng.random() < 0.6:
                completions.append(
                    TrainingCompletion(org=org, item=item, user_id=m.user_id, source="self")
                )
        if rng.random() < 0.7:
            attempts.append(
                CheckAttempt(
                    org=org,
                    knowledge_check=check,
                    user_id=m.user_id,
                    number=1,
                    score=90,
                    passed=rng.random() < 0.7,
                )
            )
        if rng.random() < 0.6:
            s = rng.randint(1, 5)
            pulses.append(
                PulseResponse(
                    org=org,
                    round=pulse,
                    program=program,
                    user_id=m.user_id,
                    understand=s,
                    helps=s,
                    next_steps=s,
                )
            )
    ActivityEvent.objects.bulk_create(events, batch_size=2000)
    TrainingCompletion.objects.bulk_create(completions, batch_size=2000)
    CheckAttempt.objects.bulk_create(attempts, batch_size=2000)
    PulseResponse.objects.bulk_create(pulses, batch_size=2000)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # as autovacuum would after a bulk load
    return program


def baseline(program: Program) -> dict[int, dict[str, int]]:
    """The naive way: load rows into Python, count per team."""
    reps = {m.user_id: m.team_id for m in Membership.objects.filter(org=program.org, role=Role.REP)}
    informed = {
        e.actor_id
        for e in ActivityEvent.objects.filter(program=program)
        if e.verb in ("brief.opened", "brief.acknowledged")
    }
    required = set(program.training.filter(required=True).values_list("id", flat=True))
    done: dict[int, set[int]] = {}
    for c in TrainingCompletion.objects.filter(item__program=program):
        done.setdefault(c.user_id, set()).add(c.item_id)
    passed = {
        a.user_id for a in CheckAttempt.objects.filter(knowledge_check__program=program) if a.passed
    }
    latest: dict[int, PulseResponse] = {}
    for p in PulseResponse.objects.filter(program=program).order_by("updated_at"):
        latest[p.user_id] = p
    out: dict[int, dict[str, int]] = {}
    for user_id, team_id in reps.items():
        row = out.setdefault(
            team_id, {"n": 0, "informed": 0, "trained": 0, "understood": 0, "bought_in": 0}
        )
        row["n"] += 1
        row["informed"] += user_id in informed
        row["trained"] += required <= done.get(user_id, set())
        row["understood"] += user_id in passed
        row["bought_in"] += user_id in latest and latest[user_id].average >= 4
    return out


def timed(fn, *args) -> float:  # type: ignore[no-untyped-def]
    runs = []
    for _ in range(5):
        start = time.perf_counter()
        fn(*args)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main() -> None:
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}")
    print(
        f"{'scale':>6} {'reps':>6} {'teams':>6} {'events':>7} {'funnel ms':>10} {'baseline ms':>12}"
    )
    for scale in (1, 10):
        program = build(scale)
        reps = Membership.objects.filter(org=program.org).count()
        teams = Team.objects.filter(org=program.org).count()
        events = ActivityEvent.objects.filter(program=program).count()
        fast = timed(funnel.program_funnel, program)
        slow = timed(baseline, program)
        print(f"{scale:>5}× {reps:>6} {teams:>6} {events:>7} {fast:>10.1f} {slow:>12.1f}")


if __name__ == "__main__":
    main()
