"""Demo step "leads": CRM leads and opportunities for the live and closed programs, spread
over the weeks each program ran, with fast and slow teams, rejection reasons (and the
comments reps add) that tell a story, and results against targets.

A team's speed and conversion follow its temperament in the program (story.Landing, the
same as in the activity step): champions answer in an hour or two and convert, laggards
let leads wait a day and more."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from lockstep.core.permissions import Role
from lockstep.ops.demo.activity import temperament
from lockstep.ops.demo.story import BY_NAME, Story
from lockstep.orgs.models import Membership, Organization
from lockstep.programs.models import Program, ProgramStatus
from lockstep.results.business_hours import Calendar
from lockstep.results.models import (
    Lead,
    LeadStatus,
    LeadTouch,
    Opportunity,
    Outcome,
    RejectionReason,
)
from lockstep.results.services import ensure_rejection_reasons, sla_fields

COMPANIES = [
    "Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Tyrell",
    "Cyberdyne", "Soylent", "Aperture", "Black Mesa", "Vandelay", "Pied Piper", "Dunder",
]  # fmt: skip
SUFFIXES = ["GmbH", "Ltd", "Inc.", "SA", "BV", "AB", "Pty", "KK", "S.p.A."]
# Hours to a first touch, and the share of touched leads that become opportunities.
SPEED = {"champion": (0.5, 2), "steady": (2, 3), "lagging": (9, 30)}
CONVERSION = {"champion": 0.4, "steady": 0.25, "lagging": 0.08}
REJECTION_COMMENTS = {
    "not_a_fit": [
        "Too small for the Growth plan.",
        "Growth plan too big for them, the starter plan fits.",
        "Locked into a competitor contract until next year.",
        "Competitor contract renewed last month.",
    ],
    "no_budget": [
        "No budget until next fiscal year.",
        "Budget frozen after a reorganisation.",
        "No budget: the price is above what they can spend.",
    ],
    "wrong_contact": ["The contact left the company.", "Wrong contact: a student, not a buyer."],
    "duplicate": [
        "Duplicate of a lead from last week.",
        "Duplicate: same company as an open lead.",
    ],
    "bad_timing": [
        "Bad timing: in the middle of an SAP migration.",
        "Call back after their SAP migration.",
    ],
}


def load_leads(org: Organization | None) -> Organization:
    if org is None:
        raise RuntimeError("the leads demo step needs the earlier steps")
    rng = random.Random(99)  # noqa: S311 — demo data
    ensure_rejection_reasons(org)
    reasons = {r.code: r for r in RejectionReason.objects.for_org(org)}
    calendar = Calendar.for_org(org)
    now = timezone.now()
    programs = (
        Program.objects.for_org(org)
        .filter(status__in=[ProgramStatus.LIVE, ProgramStatus.CLOSED])
        .order_by("id")
    )
    for program in programs:
        story = BY_NAME.get(program.name)
        reps = list(
            Membership.objects.filter(
                org=org, role__in=[Role.REP, Role.PARTNER_REP],
                team_id__in=audience_ids(program),
            ).select_related("user", "team").order_by("id")
        )  # fmt: skip
        if not reps or program.launched_at is None:
            continue
        end = now
        if program.end_date is not None:
            end = min(now, dt.datetime.combine(program.end_date, dt.time(18),
                                               tzinfo=org.tzinfo))  # fmt: skip
        window = Window(start=program.launched_at, end=end, now=now, calendar=calendar)
        make_leads(org, program, story, reps, window, rng, reasons)
    return org


def audience_ids(program: Program) -> set[int]:
    from lockstep.programs.selectors import audience_team_ids

    return audience_team_ids(program)


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    end: dt.datetime
    now: dt.datetime
    calendar: Calendar


def make_leads(
    org: Organization,
    program: Program,
    story: Story | None,
    reps: list[Membership],
    window: Window,
    rng: random.Random,
    reasons: dict[str, RejectionReason],
) -> None:
    weeks = max((window.end - window.start).days / 7, 0.2)
    per_week = story.landing.leads_per_rep_week if story and story.landing else 0.5
    moods = {
        m.team_id: temperament(program.name, m.team.name, story) for m in reps if m.team
    }  # fmt: skip
    leads: list[Lead] = []
    code = program.campaign_codes[0] if program.campaign_codes else program.name
    span = (window.end - window.start).total_seconds()
    for i in range(round(len(reps) * per_week * weeks)):
        member = rng.choice(reps)
        mood = moods.get(member.team_id, "steady")
        # leads ramp up after launch (more in the later weeks) and arrive in office hours
        created = window.start + dt.timedelta(seconds=span * rng.random() ** 0.8)
        if created.weekday() >= 5:
            created += dt.timedelta(days=7 - created.weekday())
        created = created.replace(hour=rng.randint(8, 16), minute=rng.randint(0, 59))
        if not window.start <= created <= window.end:
            continue
        low, high = SPEED[mood]
        touched = None
        if rng.random() < (0.95 if mood != "lagging" else 0.8):
            touched = created + dt.timedelta(hours=rng.uniform(low * 0.5, high * 1.5))
            if touched > window.now:
                touched = None
        due, seconds = sla_fields(window.calendar, created, touched, program.sla_hours)
        status = LeadStatus.NEW
        if touched is not None:
            status = (
                LeadStatus.CONVERTED if rng.random() < CONVERSION[mood]
                else rng.choice([LeadStatus.WORKING, LeadStatus.ACCEPTED, LeadStatus.REJECTED])
            )  # fmt: skip
        reason, comment = None, ""
        if status == LeadStatus.REJECTED:
            code_ = rng.choice(["not_a_fit", "not_a_fit", "no_budget", "wrong_contact",
                                "duplicate", "bad_timing"])  # fmt: skip
            reason = reasons[code_]
            if rng.random() < 0.6:
                comment = rng.choice(REJECTION_COMMENTS[code_])
        company = f"{rng.choice(COMPANIES)} {rng.choice(SUFFIXES)}"
        leads.append(Lead(
            org=org, external_id=f"{program.pk}-{i:05d}", program=program, campaign=code,
            rep=member.user, company=company, contact_name=f"Contact {i}",
            email=f"contact{i}@{company.split()[0].lower()}.example", source="Web",
            status=status, created_at=created, first_touch_at=touched, sla_due_at=due,
            first_touch_seconds=seconds, rejection_reason=reason, rejection_comment=comment,
            imported_at=created,
        ))  # fmt: skip
    Lead.objects.bulk_create(leads, batch_size=1000)
    touched_leads = list(Lead.objects.filter(program=program, first_touch_at__isnull=False))
    LeadTouch.objects.bulk_create(
        [LeadTouch(org=org, lead=lead, rep=lead.rep, kind=rng.choice(["call", "email", "meeting"]),
                   at=lead.first_touch_at or window.now) for lead in touched_leads],
        batch_size=1000,
    )  # fmt: skip
    closed = program.status == ProgramStatus.CLOSED or (
        story is not None and story.status == ProgramStatus.CLOSED
    )
    opportunities = []
    for lead in touched_leads:
        if lead.status != LeadStatus.CONVERTED:
            continue
        created = lead.first_touch_at or window.now
        outcomes = [Outcome.WON, Outcome.LOST, Outcome.OPEN]
        outcome = rng.choice(outcomes if closed else [Outcome.OPEN, *outcomes])
        close_date = None
        if outcome != Outcome.OPEN:
            close_date = min((created + dt.timedelta(days=rng.randint(10, 40))).date(),
                             window.now.date())  # fmt: skip
        opportunities.append(Opportunity(
            org=org, external_id=f"OPP-{lead.external_id}", name=f"{lead.company} deal",
            program=program, lead=lead, owner=lead.rep, stage="Proposal",
            amount=Decimal(rng.choice([8000, 12000, 25000, 40000])), currency="EUR",
            quantity=Decimal(rng.choice([5, 10, 20])), created_at=created, outcome=outcome,
            close_date=close_date,
        ))  # fmt: skip
    Opportunity.objects.bulk_create(opportunities, batch_size=1000)
