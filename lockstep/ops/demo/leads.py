"""Demo step "leads": CRM leads and opportunities for the live and closed programs, with
fast and slow teams, rejection reasons that tell a story, and results against targets."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from lockstep.core.permissions import Role
from lockstep.orgs.models import Membership, Organization
from lockstep.programs.models import Program, ProgramStatus
from lockstep.programs.selectors import audience_reps
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
# Share of touched leads that become opportunities, by the team's hours to first touch.
CONVERSION = {0.5: 0.4, 2: 0.32, 3: 0.22, 9: 0.08, 30: 0.03}


def load_leads(org: Organization | None) -> Organization:
    if org is None:
        raise RuntimeError("the leads demo step needs the earlier steps")
    rng = random.Random(99)  # noqa: S311 — demo data
    ensure_rejection_reasons(org)
    reasons = {r.code: r for r in RejectionReason.objects.for_org(org)}
    calendar = Calendar.for_org(org)
    now = timezone.now()
    programs = Program.objects.for_org(org).filter(
        status__in=[ProgramStatus.LIVE, ProgramStatus.CLOSED]
    )
    for program in programs:
        reps = list(
            Membership.objects.filter(
                org=org, role__in=[Role.REP, Role.PARTNER_REP], team__programs=program
            ).select_related("user", "team")
        )
        if not reps:
            reps = list(audience_reps(program).select_related("user", "team"))
        speed = {m.team_id: rng.choice([0.5, 2, 3, 9, 30]) for m in reps}  # hours to touch
        start = timezone.make_aware(
            dt.datetime.combine(program.launch_date or now.date(), dt.time(8))
        )
        days = max(1, min((now - start).days, 60))
        window = Window(start=start, days=days, now=now, calendar=calendar)
        make_leads(org, program, reps, speed, window, rng, reasons)
    return org


@dataclass(frozen=True)
class Window:
    start: dt.datetime
    days: int
    now: dt.datetime
    calendar: Calendar


def make_leads(
    org: Organization,
    program: Program,
    reps: list[Membership],
    speed: dict[int | None, float],
    window: Window,
    rng: random.Random,
    reasons: dict[str, RejectionReason],
) -> None:
    start, days, now, calendar = window.start, window.days, window.now, window.calendar
    leads: list[Lead] = []
    touches: list[LeadTouch] = []
    code = program.campaign_codes[0] if program.campaign_codes else program.name
    for i in range(len(reps) * 3):
        member = rng.choice(reps)
        created = start + dt.timedelta(hours=rng.uniform(0, days * 24))
        if created > now:
            continue
        hours = speed[member.team_id] * rng.uniform(0.3, 1.8)
        touched = created + dt.timedelta(hours=hours) if rng.random() < 0.9 else None
        if touched and touched > now:
            touched = None
        due, seconds = sla_fields(calendar, created, touched, program.sla_hours)
        # fast teams turn more of their leads into opportunities; slow ones visibly lag
        converts = CONVERSION[speed[member.team_id]]
        status = (
            LeadStatus.NEW
            if touched is None
            else LeadStatus.CONVERTED
            if rng.random() < converts
            else rng.choice([LeadStatus.WORKING, LeadStatus.ACCEPTED, LeadStatus.REJECTED])
        )
        reason = None
        if status == LeadStatus.REJECTED:
            reason = reasons[rng.choice(
                ["not_a_fit", "not_a_fit", "no_budget", "wrong_contact", "duplicate", "bad_timing"]
            )]  # fmt: skip
        company = f"{rng.choice(COMPANIES)} {rng.choice(SUFFIXES)}"
        lead = Lead(
            org=org, external_id=f"{program.pk}-{i:05d}", program=program, campaign=code,
            rep=member.user, company=company, contact_name=f"Contact {i}",
            email=f"contact{i}@{company.split()[0].lower()}.example", source="Web",
            status=status, created_at=created, first_touch_at=touched, sla_due_at=due,
            first_touch_seconds=seconds, rejection_reason=reason,
        )  # fmt: skip
        leads.append(lead)
    Lead.objects.bulk_create(leads, batch_size=1000)
    for lead in Lead.objects.filter(program=program, first_touch_at__isnull=False):
        kind = rng.choice(["call", "email", "meeting"])
        touches.append(
            LeadTouch(org=org, lead=lead, rep=lead.rep, kind=kind, at=lead.first_touch_at or now)
        )
    LeadTouch.objects.bulk_create(touches, batch_size=1000)
    opps = [
        Opportunity(
            org=org,
            external_id=f"OPP-{lead.external_id}",
            name=f"{lead.company} deal",
            program=program,
            lead=lead,
            owner=lead.rep,
            stage="Proposal",
            amount=Decimal(rng.choice([8000, 12000, 25000, 40000])),
            currency="EUR",
            quantity=Decimal(rng.choice([5, 10, 20])),
            created_at=lead.first_touch_at or now,
            outcome=rng.choice([Outcome.OPEN, Outcome.OPEN, Outcome.WON, Outcome.LOST]),
        )  # fmt: skip
        for lead in Lead.objects.filter(program=program, status=LeadStatus.CONVERTED)
    ]
    Opportunity.objects.bulk_create(opps, batch_size=1000)
