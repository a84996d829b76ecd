"""Leads: touches, acceptance and rejection, reassignment, the speed-to-lead SLA."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from lockstep.accounts.models import User
from lockstep.core.errors import Conflict, DomainError, NotAllowed
from lockstep.core.events import Action, Verb
from lockstep.core.permissions import Role
from lockstep.core.services import emit_event, record_audit
from lockstep.orgs.models import Membership, Organization
from lockstep.orgs.notify import notify
from lockstep.orgs.selectors import leader_team_ids, my_reps
from lockstep.programs.models import Program
from lockstep.results.business_hours import Calendar
from lockstep.results.models import (
    DEFAULT_REJECTION_REASONS,
    Lead,
    LeadStatus,
    LeadTouch,
    RejectionReason,
)

DEFAULT_SLA_HOURS = 4


class LeadError(DomainError):
    pass


def ensure_rejection_reasons(org: Organization) -> None:
    """Every organization starts with the default list; owners edit it afterwards."""
    if RejectionReason.objects.for_org(org).exists():
        return
    RejectionReason.objects.bulk_create(
        RejectionReason(org=org, code=code, label=label, position=i)
        for i, (code, label) in enumerate(DEFAULT_REJECTION_REASONS)
    )


def sla_hours(lead: Lead) -> int:
    return lead.program.sla_hours if lead.program_id and lead.program else DEFAULT_SLA_HOURS


def sla_fields(
    calendar: Calendar,
    created_at: dt.datetime,
    first_touch_at: dt.datetime | None,
    hours: int,
) -> tuple[dt.datetime, int | None]:
    """(SLA deadline, business seconds to the first touch or None)."""
    due = calendar.add(created_at, dt.timedelta(hours=hours))
    seconds = None
    if first_touch_at is not None:
        seconds = int(calendar.between(created_at, first_touch_at).total_seconds())
    return due, seconds


def refresh_sla(lead: Lead, calendar: Calendar | None = None) -> None:
    calendar = calendar or Calendar.for_org(lead.org)
    lead.sla_due_at, lead.first_touch_seconds = sla_fields(
        calendar, lead.created_at, lead.first_touch_at, sla_hours(lead)
    )


def can_work(membership: Membership, lead: Lead) -> bool:
    """A rep works their own leads; a sales leader the leads of their teams' reps."""
    if lead.org_id != membership.org_id:
        return False
    if lead.rep_id == membership.user_id:
        return True
    if membership.role == Role.SALES_LEADER and lead.rep_id:
        return my_reps(membership).filter(user_id=lead.rep_id).exists()
    return False


@transaction.atomic
def log_touch(*, lead: Lead, user: User, kind: str, note: str = "") -> LeadTouch:
    touch = LeadTouch.objects.create(org=lead.org, lead=lead, rep=user, kind=kind, note=note)
    if lead.first_touch_at is None:
        lead.first_touch_at = touch.at
        refresh_sla(lead)
    if lead.status == LeadStatus.NEW:
        lead.status = LeadStatus.WORKING
    lead.save()
    emit_event(
        org=lead.org, actor=user, verb=Verb.LEAD_TOUCHED, program_id=lead.program_id, obj=lead,
        payload={"kind": kind},
    )  # fmt: skip
    return touch


@transaction.atomic
def accept_lead(*, lead: Lead, user: User) -> None:
    lead.status = LeadStatus.ACCEPTED
    lead.save(update_fields=["status"])
    emit_event(
        org=lead.org, actor=user, verb=Verb.LEAD_ACCEPTED, program_id=lead.program_id, obj=lead
    )


@transaction.atomic
def reject_leads(
    *, leads: Iterable[Lead], user: User, reason: RejectionReason, comment: str
) -> int:
    """Reject one lead or many; a reason is always required (the form ensures it)."""
    count = 0
    for lead in leads:
        lead.status = LeadStatus.REJECTED
        lead.rejection_reason = reason
        lead.rejection_comment = comment
        lead.save(update_fields=["status", "rejection_reason", "rejection_comment"])
        emit_event(
            org=lead.org, actor=user, verb=Verb.LEAD_REJECTED, program_id=lead.program_id, obj=lead,
            payload={"reason": reason.code},
        )  # fmt: skip
        count += 1
    return count


@transaction.atomic
def reassign(*, lead: Lead, leader: Membership, to: Membership) -> None:
    teams = leader_team_ids(leader)
    if to.team_id not in teams or not can_work(leader, lead):
        raise NotAllowed("You can move leads only between reps of the teams you lead.")
    before = lead.rep
    lead.rep = to.user
    lead.save(update_fields=["rep"])
    record_audit(
        org=lead.org, acting_user=leader.user, action=Action.LEAD_REASSIGNED, obj=lead,
        changes={"rep": [str(before) if before else None, str(to.user)]},
    )  # fmt: skip


def escalate_breaches(now: dt.datetime | None = None) -> int:
    """Untouched leads: the rep at the organization's first step (default 100 % of the
    SLA), the rep's leaders at the second (default 200 %). Each step is notified once per
    lead (idempotent: the key is the lead and the step)."""
    now = now or timezone.now()
    sent = 0
    recent = now - dt.timedelta(days=30)
    open_leads = Lead.objects.filter(
        first_touch_at__isnull=True,
        status=LeadStatus.NEW,
        rep__isnull=False,
        created_at__lte=now,
        created_at__gte=recent,
    ).select_related("org", "rep", "program")
    calendars: dict[int, Calendar] = {}
    for lead in open_leads:
        calendar = calendars.setdefault(lead.org_id, Calendar.for_org(lead.org))
        elapsed = calendar.between(lead.created_at, now)
        sla = dt.timedelta(hours=sla_hours(lead))
        url = reverse("results:my_leads", args=[lead.org.slug])
        if lead.rep is not None and elapsed >= sla * lead.org.escalate_rep_percent / 100:
            note = notify(
                org=lead.org, user=lead.rep, kind="sla.breached",
                title=f"Lead waiting: {lead} is past its {sla_hours(lead)}-hour first-touch SLA",
                body="Call or e-mail them now, or reject the lead with a reason.", url=url,
                key=f"sla-rep:{lead.pk}",
            )  # fmt: skip
            sent += note is not None
        if elapsed >= sla * lead.org.escalate_leader_percent / 100:
            sent += _escalate_to_leaders(lead, url)
    return sent


def _escalate_to_leaders(lead: Lead, url: str) -> int:
    rep = Membership.objects.for_org(lead.org).filter(user=lead.rep).first()
    if rep is None or rep.team_id is None:
        return 0
    sent = 0
    for leader in Membership.objects.for_org(lead.org).filter(role=Role.SALES_LEADER):
        if rep.team_id in leader_team_ids(leader):
            note = notify(
                org=lead.org, user=leader.user, kind="sla.escalated",
                title=f"{rep.user}'s lead {lead} is at twice its first-touch SLA",
                body="Nudge the rep or reassign the lead.", url=url,
                key=f"sla-leader:{lead.pk}",
            )  # fmt: skip
            sent += note is not None
    return sent


# --- marketing's side: unmatched leads, rejection reasons --------------------------------


@transaction.atomic
def assign_to_program(
    *, org: Organization, acting_user: User, lead_ids: list[int], program: Program
) -> int:
    """Give unmatched leads (no program yet) to a program; their SLA clocks follow the
    program's SLA hours."""
    leads = list(
        Lead.objects.for_org(org).select_for_update().filter(pk__in=lead_ids, program__isnull=True)
    )
    calendar = Calendar.for_org(org)
    for lead in leads:
        lead.program = program
        lead.sla_due_at, lead.first_touch_seconds = sla_fields(
            calendar, lead.created_at, lead.first_touch_at, program.sla_hours
        )
    Lead.objects.bulk_update(leads, ["program", "sla_due_at", "first_touch_seconds"])
    if leads:
        record_audit(
            org=org,
            acting_user=acting_user,
            action=Action.LEADS_ASSIGNED_TO_PROGRAM,
            obj=program,
            changes={"leads": [None, len(leads)]},
        )
    return len(leads)


@transaction.atomic
def add_rejection_reason(*, org: Organization, acting_user: User, label: str) -> RejectionReason:
    ensure_rejection_reasons(org)
    code = slugify(label)[:40].replace("-", "_")
    reasons = RejectionReason.objects.for_org(org)
    if reasons.filter(code=code).exists():
        raise Conflict(f"There is already a reason “{label}”.")
    reason = RejectionReason.objects.create(
        org=org, code=code, label=label, position=reasons.count()
    )
    record_audit(org=org, acting_user=acting_user, action=Action.REJECTION_REASON_ADDED, obj=reason)
    return reason


@transaction.atomic
def toggle_rejection_reason(*, reason: RejectionReason, acting_user: User) -> None:
    """Retire a reason (it stays on past leads) or restore it."""
    reason.active = not reason.active
    reason.save(update_fields=["active"])
    record_audit(
        org=reason.org,
        acting_user=acting_user,
        action=Action.REJECTION_REASON_TOGGLED,
        obj=reason,
        changes={"active": [not reason.active, reason.active]},
    )
