"""A deterministic bench organization: `lockstep bench generate --size S|M|L`.

Same size and same anchor day → same data (fixed seeds; the anchor defaults to today so
the programs are live now). Written through the product's own paths where it has them:
teams through the teams import, leads and opportunities through the import engine
(`run_import` with the leads and opportunities specs, from CSV files like a CRM export);
people, the programs' plans, activity events, completions, check attempts, pulse answers
and meetings with `bulk_create` of the same models (the product has no bulk path for
them). Every bench person shares one password hash.

Shape of every size: one root team, regions under it, selling teams under the regions
(one in ten a partner team); one owner, one marketer, a sales leader per region; one
flagship program whose audience is the whole organization, holding a fifth of the leads
and a tenth of the events; the other programs each for a region or two, or a few teams."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import tempfile
import time
import zoneinfo
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.events import Verb
from lockstep.core.imports import ImportReport, import_kind, run_import
from lockstep.core.models import ActivityEvent
from lockstep.core.permissions import Role
from lockstep.enablement.models import CheckAttempt, CompletionSource, TrainingCompletion
from lockstep.feedback.models import PulseResponse, RepQuestion
from lockstep.orgs.models import AssetKind, Channel, Membership, Organization, Team
from lockstep.programs.models import (
    Asset,
    CheckChoice,
    CheckQuestion,
    KnowledgeCheck,
    Program,
    ProgramKind,
    ProgramStatus,
    PulseRound,
    Target,
    TargetMetric,
    TargetPeriod,
    TrainingItem,
    TrainingKind,
)
from lockstep.results.models import Lead, LeadTouch, Opportunity, TouchKind


@dataclass(frozen=True)
class Size:
    name: str
    leads: int
    opportunities: int
    teams: int  # the root, the regions and the selling teams
    regions: int
    reps: int
    programs: int
    events: int


SIZES: dict[str, Size] = {
    # for tests/test_bench.py only
    "tiny": Size(
        "tiny", leads=400, opportunities=40, teams=8, regions=2, reps=30, programs=3, events=3_000
    ),
    "S": Size(
        "S",
        leads=10_000,
        opportunities=1_000,
        teams=30,
        regions=3,
        reps=500,
        programs=20,
        events=50_000,
    ),
    "M": Size(
        "M",
        leads=100_000,
        opportunities=10_000,
        teams=100,
        regions=6,
        reps=1_600,
        programs=60,
        events=500_000,
    ),
    "L": Size(
        "L",
        leads=1_000_000,
        opportunities=100_000,
        teams=300,
        regions=12,
        reps=5_000,
        programs=200,
        events=5_000_000,
    ),
}

TIME_ZONE = "Europe/Paris"
DOMAIN = "bench.example"
BENCH_PASSWORD = "bench-only-not-for-production"  # noqa: S105 — every bench person's
FLAGSHIP_LEADS = 0.2  # share of all leads in the flagship program
FLAGSHIP_EVENTS = 0.1  # share of the activity events
UNMATCHED_LEADS = 0.01  # leads whose campaign matches no program
UNASSIGNED_LEADS = 0.01  # leads without an owner
FLUSH = 20_000  # rows kept in memory before a bulk insert
BATCH = 2_000
FIRST_NAMES = [
    "Ada",
    "Ben",
    "Chloé",
    "Dev",
    "Elena",
    "Farid",
    "Greta",
    "Hugo",
    "Ines",
    "Jonas",
    "Kai",
    "Lena",
    "Marco",
    "Nadia",
    "Oskar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sven",
    "Tara",
    "Ugo",
    "Vera",
    "Wim",
    "Xenia",
    "Yusuf",
    "Zoe",
    "Amir",
    "Björn",
    "Carla",
    "Dario",
    "Emma",
]
LAST_NAMES = [
    "Meyer",
    "Dubois",
    "Rossi",
    "Jansen",
    "Novak",
    "García",
    "Schmidt",
    "Lindqvist",
    "Moreau",
    "Kowalski",
    "Silva",
    "Bauer",
    "Martin",
    "Costa",
    "Horvat",
    "Berg",
    "Fischer",
    "Laurent",
]
REASONS = [
    "not_a_fit",
    "not_a_fit",
    "no_budget",
    "bad_timing",
    "wrong_contact",
    "duplicate",
    "in_pipeline",
    "other",
]
SPEEDS = [0.5, 1.0, 2.0, 4.0, 8.0, 24.0]  # a team's typical hours to a first touch
LEAD_HEADER = [
    "external_id",
    "contact_name",
    "company",
    "email",
    "source",
    "status",
    "owner",
    "created_at",
    "first_touch_at",
    "campaign",
    "rejection_reason",
]
OPPORTUNITY_HEADER = [
    "external_id",
    "name",
    "stage",
    "amount",
    "currency",
    "quantity",
    "close_date",
    "outcome",
    "owner",
    "created_at",
    "campaign",
    "lead",
]


class BenchError(Exception):
    pass


def bench_slug(size: str) -> str:
    return f"bench-{size.lower()}"


def seed_for(size: Size, part: str) -> random.Random:
    """One generator per part, so a change in one part leaves the others' data alone."""
    return random.Random(f"lockstep-bench-{size.name}-{part}")  # noqa: S311 — test data


def iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- what the generator keeps in memory -----------------------------------------------------


@dataclass
class Rep:
    user_id: int
    team_id: int
    email: str


@dataclass
class Plan:
    """A program and what its audience does with it."""

    program: Program
    reps: list[Rep]
    launch_at: dt.datetime
    until: dt.datetime  # activity happens before this: the anchor, or the program's end
    required: list[int] = field(default_factory=list)  # training item ids
    optional: list[int] = field(default_factory=list)
    check_id: int | None = None
    rounds: list[tuple[int, dt.datetime]] = field(default_factory=list)
    code: str = ""
    leads: int = 0  # how many leads its campaign brings

    def moment(self, rng: random.Random) -> dt.datetime:
        span = max(60.0, (self.until - self.launch_at).total_seconds())
        return self.launch_at + dt.timedelta(seconds=int(rng.uniform(0, span)))


@dataclass
class World:
    org: Organization
    size: Size
    anchor_at: dt.datetime
    owner: User
    tz: zoneinfo.ZoneInfo
    teams: dict[str, Team] = field(default_factory=dict)
    leaf_ids: list[int] = field(default_factory=list)
    region_ids: list[int] = field(default_factory=list)
    children: dict[int, list[int]] = field(default_factory=dict)
    reps: list[Rep] = field(default_factory=list)
    reps_by_team: dict[int, list[Rep]] = field(default_factory=dict)
    speed: dict[int, float] = field(default_factory=dict)
    plans: list[Plan] = field(default_factory=list)
    unmatched: int = 0  # leads whose campaign matches no program
    timings: dict[str, float] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)

    def below(self, team_ids: Iterable[int]) -> set[int]:
        seen: set[int] = set()
        stack = list(team_ids)
        while stack:
            team_id = stack.pop()
            if team_id not in seen:
                seen.add(team_id)
                stack.extend(self.children.get(team_id, []))
        return seen


@dataclass(frozen=True)
class Generated:
    org: Organization
    seconds: float
    timings: dict[str, float]
    counts: dict[str, int]


# --- the steps ------------------------------------------------------------------------------


def generate(
    size_name: str,
    *,
    slug: str | None = None,
    anchor: dt.date | None = None,
    say: Callable[[str], None] = lambda _: None,
) -> Generated:
    """Build the bench organization of this size; refuses if the slug is taken."""
    size = SIZES[size_name]
    slug = slug or bench_slug(size.name)
    if Organization.objects.filter(slug=slug).exists():
        raise BenchError(f"an organization “{slug}” exists already")
    tz = zoneinfo.ZoneInfo(TIME_ZONE)
    anchor = anchor or timezone.localdate(timezone=tz)
    started = time.perf_counter()
    world = _organization(size, slug, anchor, tz)
    steps: list[tuple[str, Callable[[World], None]]] = [
        ("teams", _teams),
        ("people", _people),
        ("programs", _programs),
        ("activity", _activity),
        ("leads", _leads_and_opportunities),
        ("statistics", _statistics),
    ]
    for name, step in steps:
        begun = time.perf_counter()
        step(world)
        world.timings[name] = round(time.perf_counter() - begun, 1)
        say(f"  {name}: {world.timings[name]:.1f} s")
    seconds = round(time.perf_counter() - started, 1)
    world.counts.update(table_counts(world.org))
    org = world.org
    org.extra = {
        **org.extra,
        "bench": {
            "size": size.name,
            "anchor": anchor.isoformat(),
            "complete": True,
            "seconds": seconds,
            "timings": world.timings,
            "counts": world.counts,
            "vendor": connection.vendor,
        },
    }
    org.save(update_fields=["extra"])
    return Generated(org, seconds, world.timings, world.counts)


def table_counts(org: Organization) -> dict[str, int]:
    return {
        "teams": Team.objects.for_org(org).count(),
        "reps": Membership.objects.for_org(org)
        .filter(role__in=[Role.REP, Role.PARTNER_REP])
        .count(),
        "programs": Program.objects.for_org(org).count(),
        "leads": Lead.objects.for_org(org).count(),
        "opportunities": Opportunity.objects.for_org(org).count(),
        "events": ActivityEvent.objects.for_org(org).count(),
        "completions": TrainingCompletion.objects.for_org(org).count(),
        "attempts": CheckAttempt.objects.for_org(org).count(),
        "pulse_answers": PulseResponse.objects.for_org(org).count(),
        "meetings": LeadTouch.objects.for_org(org).count(),
    }


def _organization(size: Size, slug: str, anchor: dt.date, tz: zoneinfo.ZoneInfo) -> World:
    org = Organization.objects.create(
        name=f"Bench {size.name}",
        slug=slug,
        time_zone=TIME_ZONE,
        date_order="dmy",
        extra={"bench": {"size": size.name, "complete": False}},
    )
    password = make_password(BENCH_PASSWORD)
    owner = User.objects.create(
        email=f"owner@{slug}.{DOMAIN}", first_name="Olivia", last_name="Owner", password=password
    )
    marketer = User.objects.create(
        email=f"marketer@{slug}.{DOMAIN}", first_name="Mark", last_name="Eter", password=password
    )
    Membership.objects.bulk_create(
        [
            Membership(org=org, user=owner, role=Role.OWNER),
            Membership(org=org, user=marketer, role=Role.MARKETER),
        ]
    )
    anchor_at = dt.datetime.combine(anchor, dt.time(0), tzinfo=tz)
    world = World(org=org, size=size, anchor_at=anchor_at, owner=owner, tz=tz)
    world.counts["password_hashes"] = 1
    return world


def _teams(world: World) -> None:
    """Through the teams import: the root, the regions, the selling teams."""
    size, rng = world.size, seed_for(world.size, "teams")
    leaves = size.teams - 1 - size.regions
    rows = [["name", "parent", "channel"], ["Global sales", "", Channel.DIRECT.value]]
    rows += [
        [f"Region {r + 1:02d}", "Global sales", Channel.DIRECT.value] for r in range(size.regions)
    ]
    for i in range(leaves):
        region = f"Region {i % size.regions + 1:02d}"
        partner = i % 10 == 9
        name = f"{'Partner' if partner else 'Team'} {i + 1:03d}"
        channel = (
            Channel.PARTNER if partner else Channel.INSIDE_SALES if i % 4 == 1 else Channel.DIRECT
        )
        rows.append([name, region, channel.value])
    report = _import("teams", world, rows)
    if report.counts["created"] != size.teams:
        raise BenchError(f"the teams import created {report.counts['created']} of {size.teams}")
    for team in Team.objects.for_org(world.org).order_by("name"):
        world.teams[team.name] = team
        if team.parent_id is not None:
            world.children.setdefault(team.parent_id, []).append(team.pk)
    world.region_ids = [world.teams[f"Region {r + 1:02d}"].pk for r in range(size.regions)]
    world.leaf_ids = [t.pk for t in world.teams.values() if t.pk not in world.children]
    world.leaf_ids.sort()
    world.speed = {t: rng.choice(SPEEDS) for t in world.leaf_ids}


def _import(kind: str, world: World, rows: list[list[Any]]) -> ImportReport:
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    stream = io.BytesIO(text.getvalue().encode())
    return _run(kind, world, stream, f"bench-{kind}.csv")


def _run(kind: str, world: World, stream: Any, name: str) -> ImportReport:
    found = import_kind(kind)
    if found is None:
        raise BenchError(f"no import kind “{kind}”")
    spec = found.make_spec(world.org, preset="generic", mapping={})
    report = run_import(spec, stream, acting_user=world.owner, source="bench", file_name=name)
    if not report.ok or report.error_count or report.rejected_rows:
        raise BenchError(f"the {kind} import failed: {report.summary()} {report.details()[:5]}")
    return report


def _people(world: World) -> None:
    """The reps (spread over the selling teams) and a sales leader per region; one password
    hash for all."""
    size, org = world.size, world.org
    password = User.objects.get(pk=world.owner.pk).password
    users = []
    for i in range(size.reps):
        first = FIRST_NAMES[i % len(FIRST_NAMES)]
        last = f"{LAST_NAMES[(i // len(FIRST_NAMES)) % len(LAST_NAMES)]} {i + 1:05d}"
        users.append(
            User(
                email=f"rep{i + 1:05d}@{org.slug}.{DOMAIN}",
                first_name=first,
                last_name=last,
                password=password,
            )
        )
    leaders = [
        User(
            email=f"leader{r + 1:02d}@{org.slug}.{DOMAIN}",
            first_name="Lea",
            last_name=f"Leader {r + 1:02d}",
            password=password,
        )
        for r in range(size.regions)
    ]
    created = User.objects.bulk_create(users + leaders, batch_size=BATCH)
    by_email = {u.email: u.pk for u in created}
    if any(pk is None for pk in by_email.values()):
        by_email = dict(
            User.objects.filter(email__endswith=f"@{org.slug}.{DOMAIN}").values_list("email", "pk")
        )
    teams = {t.pk: t for t in world.teams.values()}
    members = []
    for i, user in enumerate(users):
        team_id = world.leaf_ids[i % len(world.leaf_ids)]
        partner = teams[team_id].channel == Channel.PARTNER
        rep = Rep(by_email[user.email], team_id, user.email)
        world.reps.append(rep)
        world.reps_by_team.setdefault(team_id, []).append(rep)
        role = Role.PARTNER_REP if partner else Role.REP
        members.append(Membership(org=org, user_id=rep.user_id, role=role, team_id=team_id))
    region_leads = []
    for r, user in enumerate(leaders):
        region = world.region_ids[r]
        members.append(
            Membership(
                org=org, user_id=by_email[user.email], role=Role.SALES_LEADER, team_id=region
            )
        )
        region_leads.append((by_email[user.email], region))
    Membership.objects.bulk_create(members, batch_size=BATCH)
    ids = dict(Membership.objects.for_org(org).values_list("user_id", "pk"))
    through = Membership.led_teams.through
    through.objects.bulk_create(
        [through(membership_id=ids[user_id], team_id=team_id) for user_id, team_id in region_leads]
    )


def _programs(world: World) -> None:
    """The plan of every program: audience, training, check, pulse rounds, kit, FAQ, targets."""
    size, org, rng = world.size, world.org, seed_for(world.size, "programs")
    anchor = world.anchor_at.date()
    root = world.teams["Global sales"].pk
    for p in range(size.programs):
        flagship = p == 0
        if flagship:
            audience = [root]
            launch = anchor - dt.timedelta(days=75)
            end: dt.date | None = anchor + dt.timedelta(days=45)
        else:
            pick = rng.random()
            if pick < 0.5:
                audience = [rng.choice(world.region_ids)]
            elif pick < 0.7:
                audience = rng.sample(world.region_ids, min(2, len(world.region_ids)))
            else:
                audience = rng.sample(world.leaf_ids, min(len(world.leaf_ids), rng.randint(3, 8)))
            launch = anchor - dt.timedelta(days=rng.randint(10, 180))
            end = launch + dt.timedelta(days=rng.randint(30, 150)) if rng.random() < 0.9 else None
        closed = end is not None and end < anchor and rng.random() < 0.5
        code = f"BENCH-{p + 1:03d}"
        program = Program.objects.create(
            org=org,
            name="Flagship launch" if flagship else f"Program {p + 1:03d}",
            kind=rng.choice(ProgramKind.values),
            status=ProgramStatus.CLOSED if closed else ProgramStatus.LIVE,
            owner_id=world.owner.pk,
            summary="A bench program.",
            launch_date=launch,
            end_date=end,
            campaign_codes=[code],
            wiifm="What is in it for you: a bench figure.",
            pulse_anonymous=not flagship and rng.random() < 0.2,
            sla_hours=8 if flagship else rng.choice([4, 8, 16, 24]),
            launched_at=dt.datetime.combine(launch, dt.time(9), tzinfo=world.tz),
        )
        program.audience.set(audience)
        teams = world.below(audience)
        reps = [r for t in sorted(teams) for r in world.reps_by_team.get(t, [])]
        launch_at = dt.datetime.combine(launch, dt.time(8), tzinfo=world.tz)
        until = world.anchor_at
        if end is not None:
            until = min(
                until, dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), tzinfo=world.tz)
            )
        plan = Plan(program, reps, launch_at, until, code=code)
        _plan_contents(world, plan, rng)
        world.plans.append(plan)
    _split_leads(world)
    targets = seed_for(size, "targets")
    for plan in world.plans:
        _targets(world, plan, targets, plan is world.plans[0])


def _plan_contents(world: World, plan: Plan, rng: random.Random) -> None:
    org, program = world.org, plan.program
    flagship = not world.plans
    required = 2 if flagship else rng.choice([0, 1, 1, 2, 3])
    items = [
        TrainingItem(
            org=org,
            program=program,
            kind=TrainingKind.SELF_PACED,
            title=f"Module {i + 1}",
            duration_minutes=15,
            required=i < required,
            content="Read this.",
        )
        for i in range(required + (1 if rng.random() < 0.4 else 0))
    ]
    for item in TrainingItem.objects.bulk_create(items):
        (plan.required if item.required else plan.optional).append(item.pk)
    if flagship or rng.random() < 0.8:
        check = KnowledgeCheck.objects.create(org=org, program=program)
        plan.check_id = check.pk
        for q in range(3):
            question = CheckQuestion.objects.create(
                org=org, knowledge_check=check, text=f"Question {q + 1}?", position=q
            )
            CheckChoice.objects.bulk_create(
                CheckChoice(question=question, text=f"Answer {c + 1}", correct=c == 0, position=c)
                for c in range(3)
            )
    if flagship or rng.random() < 0.7:
        offsets = [0, 30] if (plan.until - plan.launch_at).days > 35 else [0]
        for offset in offsets:
            sent = plan.launch_at + dt.timedelta(days=offset, hours=2)
            pulse_round = PulseRound.objects.create(
                org=org, program=program, day_offset=offset, sent_at=sent
            )
            plan.rounds.append((pulse_round.pk, sent))
    Asset.objects.bulk_create(
        Asset(
            org=org,
            program=program,
            kind=kind,
            title=f"{kind.label} for {program.name}",
            url=f"https://kit.{DOMAIN}/{program.pk}/{kind.value}",
            owner_id=world.owner.pk,
            partner_visible=kind != AssetKind.BATTLECARD,
        )
        for kind in (AssetKind.BRIEF, AssetKind.TALK_TRACK, AssetKind.BATTLECARD)
    )
    if plan.reps:
        RepQuestion.objects.bulk_create(
            RepQuestion(
                org=org,
                program=program,
                asked_by_id=rng.choice(plan.reps).user_id,
                body=f"Question {q + 1} about {program.name}?",
                answer="An answer.",
                answered_by_id=world.owner.pk,
                answered_at=plan.launch_at,
                in_faq=q < 3,
            )
            for q in range(4)
        )


# Per lead of a program, on average over its life: worked (first touched), meetings,
# opportunities, open pipeline, won revenue, units (the leads step's probabilities).
PER_LEAD: dict[str, float] = {
    TargetMetric.LEADS_WORKED: 0.85,
    TargetMetric.MEETINGS: 0.85 * 0.2,
    TargetMetric.OPPORTUNITIES: 0.85 * 0.14,
    TargetMetric.PIPELINE: 0.85 * 0.14 * 0.5 * 27_500,
    TargetMetric.WON_REVENUE: 0.85 * 0.14 * 0.3 * 27_500,
    TargetMetric.UNITS: 0.85 * 0.14 * 0.3 * 25.5,
}
METRICS = [
    (TargetMetric.LEADS_WORKED, TargetPeriod.MONTH),
    (TargetMetric.MEETINGS, TargetPeriod.QUARTER),
    (TargetMetric.OPPORTUNITIES, TargetPeriod.PROGRAM),
    (TargetMetric.WON_REVENUE, TargetPeriod.QUARTER),
    (TargetMetric.PIPELINE, TargetPeriod.MONTH),
    (TargetMetric.UNITS, TargetPeriod.PROGRAM),
]


def _targets(world: World, plan: Plan, rng: random.Random, flagship: bool) -> None:
    """Targets on the audience's regions (three for the flagship's, two otherwise) and a
    few selling teams, sized from the leads the team will get so that, at the anchor,
    some are on track and some behind."""
    program = plan.program
    if not plan.reps:
        return
    chosen = list(program.audience.values_list("id", flat=True))
    regions = world.region_ids if flagship else [t for t in chosen if t in world.region_ids][:2]
    days = max(1.0, (plan.until - plan.launch_at).total_seconds() / 86_400)
    whole = (
        (program.end_date - program.launch_date).days + 1
        if program.end_date and program.launch_date
        else 0
    )
    lengths: dict[str, float] = {
        TargetPeriod.MONTH: 30.4,
        TargetPeriod.QUARTER: 91.3,
        TargetPeriod.PROGRAM: whole,
    }

    def value(team_id: int, metric: str, period: str) -> Decimal:
        heads = sum(len(world.reps_by_team.get(t, [])) for t in world.below([team_id]))
        share = heads / len(plan.reps)
        raw = PER_LEAD[metric] * plan.leads / days * share * lengths[period]
        return Decimal(max(1, round(raw * rng.uniform(0.55, 1.2))))

    targets: list[Target] = []
    for region in regions:
        for metric, period in rng.sample(METRICS, 3 if flagship else 2):
            if period == TargetPeriod.PROGRAM and not whole:
                period = TargetPeriod.MONTH
            targets.append(
                _target(world, program, region, metric, period, value(region, metric, period))
            )
    leaves = sorted(t for t in world.below(chosen) if t in world.reps_by_team)
    for team_id in rng.sample(leaves, min(len(leaves), 3 if flagship else 1)):
        metric, period = TargetMetric.LEADS_WORKED, TargetPeriod.QUARTER
        targets.append(
            _target(world, program, team_id, metric, period, value(team_id, metric, period))
        )
    Target.objects.bulk_create(targets)


def _target(
    world: World, program: Program, team_id: int, metric: str, period: str, value: Decimal
) -> Target:
    return Target(
        org=world.org, program=program, team_id=team_id, metric=metric, period=period, value=value
    )


# --- activity: completions, attempts, pulse answers and events ------------------------------


class Buffer:
    """Rows waiting for a bulk insert, flushed every FLUSH rows."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.rows: dict[type[Any], list[Any]] = {}

    def add(self, row: Any) -> None:
        rows = self.rows.setdefault(type(row), [])
        rows.append(row)
        if len(rows) >= FLUSH:
            self.flush(type(row))

    def flush(self, model: type[Any] | None = None) -> None:
        for kind in [model] if model else list(self.rows):
            rows = self.rows.pop(kind, [])
            if rows:
                kind.objects.bulk_create(rows, batch_size=BATCH)
                self.world.counts[kind.__name__] = self.world.counts.get(kind.__name__, 0) + len(
                    rows
                )


def _activity(world: World) -> None:
    size, rng = world.size, seed_for(world.size, "activity")
    # events the imports and rejections add later; the rest are what reps do here
    later = int(size.opportunities * 1.3 + size.leads * 0.02)
    budget = max(0, size.events - later)
    pairs = sum(len(p.reps) for p in world.plans[1:]) or 1
    buffer = Buffer(world)
    for index, plan in enumerate(world.plans):
        if not plan.reps:
            continue
        if index == 0:
            events = int(budget * FLAGSHIP_EVENTS)
        else:
            events = int(budget * (1 - FLAGSHIP_EVENTS) * len(plan.reps) / pairs)
        per_rep, extra = divmod(events, len(plan.reps))
        with transaction.atomic():
            for n, rep in enumerate(plan.reps):
                _rep_activity(world, plan, rep, per_rep + (1 if n < extra else 0), rng, buffer)
            buffer.flush()


def _rep_activity(
    world: World, plan: Plan, rep: Rep, budget: int, rng: random.Random, buffer: Buffer
) -> None:
    org_id, program_id, user_id = world.org.pk, plan.program.pk, rep.user_id
    verbs: list[tuple[str, dt.datetime]] = []
    informed = rng.random() < 0.8
    if informed:
        verbs.append((Verb.BRIEF_OPENED, plan.moment(rng)))
        if rng.random() < 0.6:
            verbs.append((Verb.BRIEF_ACKNOWLEDGED, plan.moment(rng)))
    diligent = rng.random()
    for item_id, share in [(i, 0.75) for i in plan.required] + [(i, 0.3) for i in plan.optional]:
        if rng.random() < share * (0.5 + diligent):
            at = plan.moment(rng)
            buffer.add(
                TrainingCompletion(
                    org_id=org_id,
                    item_id=item_id,
                    user_id=user_id,
                    source=CompletionSource.SELF,
                    completed_at=at,
                )
            )
            verbs.append((Verb.TRAINING_COMPLETED, at))
    if plan.check_id is not None and rng.random() < 0.75:
        for number in (1, 2):
            at = plan.moment(rng)
            passed = rng.random() < (0.7 if number == 1 else 0.8)
            buffer.add(
                CheckAttempt(
                    org_id=org_id,
                    knowledge_check_id=plan.check_id,
                    user_id=user_id,
                    number=number,
                    started_at=at,
                    submitted_at=at + dt.timedelta(minutes=10),
                    score=rng.randint(80, 100) if passed else rng.randint(20, 79),
                    passed=passed,
                )
            )
            verbs.append((Verb.CHECK_ATTEMPTED, at))
            if passed:
                verbs.append((Verb.CHECK_PASSED, at))
                break
            if rng.random() < 0.5:
                break
    mood = rng.choice([2, 3, 3, 4, 4, 4, 5])
    for round_id, sent in plan.rounds:
        if sent >= plan.until or rng.random() > 0.65:
            continue
        at = min(sent + dt.timedelta(hours=rng.uniform(1, 120)), plan.until)
        scores = [max(1, min(5, mood + rng.choice([-1, 0, 0, 1]))) for _ in range(3)]
        buffer.add(
            PulseResponse(
                org_id=org_id,
                round_id=round_id,
                program_id=program_id,
                user_id=user_id,
                team_id=rep.team_id,
                understand=scores[0],
                helps=scores[1],
                next_steps=scores[2],
                created_at=at,
                updated_at=at,
            )
        )
        verbs.append((Verb.PULSE_ANSWERED, at))
    fillers = (
        [Verb.BRIEF_OPENED, Verb.ASSET_VIEWED, Verb.ASSET_VIEWED, Verb.ASSET_DOWNLOADED]
        if informed
        else [Verb.ASSET_VIEWED, Verb.ASSET_DOWNLOADED, Verb.QUESTION_ASKED]
    )
    while len(verbs) < budget:
        verbs.append((rng.choice(fillers), plan.moment(rng)))
    for verb, at in verbs:
        buffer.add(
            ActivityEvent(
                org_id=org_id, actor_id=user_id, verb=verb, program_id=program_id, occurred_at=at
            )
        )


# --- leads and opportunities, through the import engine --------------------------------------


@dataclass
class LeadFacts:
    """What the generator remembers of the leads it wrote (to add what no import brings)."""

    converted: list[tuple[str, int, str, dt.datetime, str]] = field(default_factory=list)
    meetings: list[tuple[str, int, dt.datetime]] = field(default_factory=list)
    rejections: list[tuple[str, int, int, dt.datetime]] = field(default_factory=list)


def _leads_and_opportunities(world: World) -> None:
    with tempfile.TemporaryDirectory(prefix="lockstep-bench-") as folder:
        leads_file = Path(folder) / "leads.csv"
        facts = _write_leads(world, leads_file)
        with leads_file.open("rb") as stream:
            report = _run("leads", world, stream, "bench-leads.csv")
        world.counts["leads_imported"] = report.counts["created"]
        if report.counts["created"] != world.size.leads:
            raise BenchError(f"{report.counts['created']} leads created of {world.size.leads}")
        opportunities_file = Path(folder) / "opportunities.csv"
        _write_opportunities(world, facts, opportunities_file)
        with opportunities_file.open("rb") as stream:
            report = _run("opportunities", world, stream, "bench-opportunities.csv")
        world.counts["opportunities_imported"] = report.counts["created"]
        if report.counts["created"] != world.size.opportunities:
            raise BenchError(
                f"{report.counts['created']} opportunities created of {world.size.opportunities}"
            )
    _after_import(world, facts)


def _split_leads(world: World) -> None:
    """How many leads each program gets: a fifth for the flagship, the rest by audience
    size; one in a hundred matches no program."""
    rng, total = seed_for(world.size, "lead-split"), world.size.leads
    world.unmatched = int(total * UNMATCHED_LEADS)
    others = [p for p in world.plans[1:] if p.reps]
    weights = [len(p.reps) * rng.uniform(0.5, 1.5) for p in others]
    rest = total - world.unmatched - int(total * FLAGSHIP_LEADS)
    for plan, weight in zip(others, weights, strict=True):
        plan.leads = int(rest * weight / sum(weights))
    world.plans[0].leads = total - world.unmatched - sum(p.leads for p in others)


def _write_leads(world: World, path: Path) -> LeadFacts:
    rng, facts = seed_for(world.size, "leads"), LeadFacts()
    number = 0
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(LEAD_HEADER)
        batches = [(p, p.leads, False) for p in world.plans]
        for plan, count, unmatched in [*batches, (world.plans[0], world.unmatched, True)]:
            for _ in range(count):
                number += 1
                writer.writerow(_lead_row(world, plan, unmatched, number, rng, facts))
    return facts


def _lead_row(
    world: World, plan: Plan, unmatched: bool, number: int, rng: random.Random, facts: LeadFacts
) -> list[str]:
    external_id = f"LD{number:08d}"
    rep = rng.choice(plan.reps) if plan.reps else None
    if rng.random() < UNASSIGNED_LEADS:
        rep = None
    created = plan.moment(rng)
    touched: dt.datetime | None = None
    if rng.random() < 0.85:
        hours = (world.speed.get(rep.team_id, 4.0) if rep else 30.0) * rng.uniform(0.2, 2.5)
        touched = created + dt.timedelta(seconds=int(hours * 3600))
        if touched > world.anchor_at:
            touched = None
    status, reason = "new", ""
    pick = rng.random()
    if touched is not None:
        if pick < 0.14:
            status = "converted"
        elif pick < 0.4:
            status = "accepted"
        elif pick < 0.85:
            status = "working"
        else:
            status, reason = "rejected", rng.choice(REASONS)
        if rep is not None and rng.random() < 0.2:
            at = min(touched + dt.timedelta(hours=rng.uniform(0, 72)), world.anchor_at)
            facts.meetings.append((external_id, rep.user_id, at))
    elif pick < 0.3:
        status, reason = "rejected", rng.choice(REASONS)
        if rep is not None and rng.random() < 0.5:  # rejected in Lockstep, not in the CRM
            at = created + dt.timedelta(hours=rng.uniform(0.5, 48))
            if at <= world.anchor_at:
                facts.rejections.append((external_id, rep.user_id, plan.program.pk, at))
    campaign = "NO-SUCH-CAMPAIGN" if unmatched else plan.code
    if status == "converted" and rep is not None and touched is not None and not unmatched:
        facts.converted.append((external_id, rep.user_id, rep.email, touched, campaign))
    company = f"Company {rng.randint(1, 50_000):05d}"
    return [
        external_id,
        f"Contact {number}",
        company,
        f"contact{number}@customer.example",
        "Web",
        status,
        rep.email if rep else "",
        iso(created),
        iso(touched) if touched else "",
        campaign,
        reason,
    ]


def _write_opportunities(world: World, facts: LeadFacts, path: Path) -> None:
    """One opportunity per converted lead (up to the size's count), the rest without a lead."""
    rng = seed_for(world.size, "opportunities")
    wanted = world.size.opportunities
    sources: list[tuple[str, str, dt.datetime, str]] = [
        (lead, email, touched, campaign) for lead, _, email, touched, campaign in facts.converted
    ][:wanted]
    plans = [p for p in world.plans if p.reps]
    while len(sources) < wanted:
        plan = rng.choice(plans)
        sources.append(("", rng.choice(plan.reps).email, plan.moment(rng), plan.code))
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(OPPORTUNITY_HEADER)
        for number, (lead, email, start, campaign) in enumerate(sources, start=1):
            created = min(start + dt.timedelta(hours=rng.uniform(1, 240)), world.anchor_at)
            pick = rng.random()
            outcome = "open" if pick < 0.5 else "won" if pick < 0.8 else "lost"
            stage = {"open": "Proposal", "won": "Closed Won", "lost": "Closed Lost"}[outcome]
            close = ""
            if outcome != "open":
                day = created.astimezone(world.tz).date() + dt.timedelta(days=rng.randint(0, 30))
                close = min(day, world.anchor_at.date()).isoformat()
            writer.writerow(
                [
                    f"OP{number:08d}",
                    f"Deal {number}",
                    stage,
                    rng.choice([5_000, 8_000, 12_000, 25_000, 40_000, 75_000]),
                    "EUR",
                    rng.randint(1, 50),
                    close,
                    outcome,
                    email,
                    iso(created),
                    campaign,
                    lead,
                ]
            )


def _by_external_id(world: World, external_ids: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for start in range(0, len(external_ids), 5_000):
        chunk = external_ids[start : start + 5_000]
        found.update(
            Lead.objects.for_org(world.org)
            .filter(external_id__in=chunk)
            .values_list("external_id", "pk")
        )
    return found


def _after_import(world: World, facts: LeadFacts) -> None:
    """What a CRM export does not carry: rejections made in Lockstep (their events) and
    meetings logged in Lockstep."""
    org_id = world.org.pk
    buffer = Buffer(world)
    with transaction.atomic():
        ids = _by_external_id(world, [r[0] for r in facts.rejections])
        for external_id, user_id, program_id, at in facts.rejections:
            buffer.add(
                ActivityEvent(
                    org_id=org_id,
                    actor_id=user_id,
                    verb=Verb.LEAD_REJECTED,
                    program_id=program_id,
                    object_type="lead",
                    object_id=ids[external_id],
                    occurred_at=at,
                    payload={"reason": "not_a_fit"},
                )
            )
        ids = _by_external_id(world, [m[0] for m in facts.meetings])
        for external_id, user_id, at in facts.meetings:
            buffer.add(
                LeadTouch(
                    org_id=org_id,
                    lead_id=ids[external_id],
                    rep_id=user_id,
                    kind=TouchKind.MEETING,
                    at=at,
                )
            )
        buffer.flush()


def _statistics(world: World) -> None:
    """PostgreSQL: ANALYZE, as autovacuum would after a bulk load. SQLite: nothing (as
    deployed: nothing runs ANALYZE there)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
