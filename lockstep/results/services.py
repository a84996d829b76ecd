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
from lockstep.programs import services as program_services
from lockstep.programs.models import Program
from lockstep.results.business_hours import Calendar, RepCalendars
from lockstep.results.models import (
    DEFAULT_REJECTION_REASONS,
    Lead,
    LeadStatus,
    LeadTouch,
    RejectionReason,
)
from lockstep.results.sla import DEFAULT_SLA_HOURS as DEFAULT_SLA_HOURS  # one definition
from lockstep.results.sla import RepClocks, SlaClock


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
    calendar: Calendar | SlaClock,
    created_at: dt.datetime,
    first_touch_at: dt.datetime | None,
    hours: int,
) -> tuple[dt.datetime | None, int | None]:
    """(SLA deadline, business seconds to the first touch or None), by the one SLA
    function (`results.sla.SlaClock.deadline`)."""
    clock = calendar if isinstance(calendar, SlaClock) else SlaClock(calendar)
    due = clock.deadline(created_at, hours)
    seconds = None
    if first_touch_at is not None:
        seconds = clock.business_seconds(created_at, first_touch_at)
    return due, seconds


def lead_calendar(lead: Lead) -> Calendar:
    """The business calendar a lead is timed by: its rep's team's (time zone and hours
    inherited down the team tree), else the organization's."""
    member = None
    if lead.rep_id is not None:
        member = (
            Membership.objects.filter(org_id=lead.org_id, user_id=lead.rep_id)
            .select_related("team__org")
            .first()
        )
    return Calendar.for_team(member.team if member else None, lead.org)


def refresh_sla(lead: Lead, calendar: Calendar | SlaClock | None = None) -> None:
    """Set a lead's deadline and time to first touch from its creation time, its
    program's SLA hours (4 without one) and its rep's team's calendar."""
    clock = calendar or lead_calendar(lead)
    lead.sla_due_at, lead.first_touch_seconds = sla_fields(
        clock, lead.created_at, lead.first_touch_at, sla_hours(lead)
    )


OPEN_FOR_SLA = [LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.ACCEPTED]


def recompute_open_leads(program: Program, *, batch: int = 2_000) -> int:
    """After a program's SLA hours change: the deadlines of its leads not yet touched
    (touched ones were judged against the SLA in force when they were touched)."""
    clocks = RepClocks(program.org)
    leads = (
        Lead.objects.filter(program=program, first_touch_at__isnull=True, status__in=OPEN_FOR_SLA)
        .select_for_update()
        .only("id", "rep_id", "created_at", "first_touch_at", "sla_due_at", "first_touch_seconds")
    )
    changed: list[Lead] = []
    count = 0
    for lead in leads.iterator(chunk_size=batch):
        due = clocks.for_rep(lead.rep_id).deadline(lead.created_at, program.sla_hours)
        if due != lead.sla_due_at:
            lead.sla_due_at = due
            changed.append(lead)
        if len(changed) >= batch:
            Lead.objects.bulk_update(changed, ["sla_due_at"])
            count, changed = count + len(changed), []
    Lead.objects.bulk_update(changed, ["sla_due_at"])
    return count + len(changed)


@transaction.atomic
def set_program_sla(*, program: Program, acting_user: User, hours: int) -> int:
    """Change a program's first-touch SLA (through the programs app, which owns the
    setting and audits it) and recompute the deadlines of its open leads. Returns how
    many leads got a new deadline."""
    program_services.set_sla_hours(program=program, acting_user=acting_user, hours=hours)
    return recompute_open_leads(program)


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
    """Record a touch. The lead is read again, locked, and only what a touch changes is
    written: a reassignment or rejection committed meanwhile stands, and touches queue on
    the lock, so the first touch recorded is the earliest."""
    current = (
        Lead.objects.select_for_update(of=("self",))
        .select_related("org", "program")
        .get(pk=lead.pk)
    )
    touch = LeadTouch.objects.create(org=current.org, lead=current, rep=user, kind=kind, note=note)
    changed: list[str] = []
    if current.first_touch_at is None or touch.at < current.first_touch_at:
        current.first_touch_at = touch.at
        refresh_sla(current)
        changed += ["first_touch_at", "sla_due_at", "first_touch_seconds"]
    if current.status == LeadStatus.NEW:
        current.status = LeadStatus.WORKING
        changed.append("status")
    if changed:
        current.save(update_fields=changed)
    for name in changed:
        setattr(lead, name, getattr(current, name))
    emit_event(
        org=lead.org, actor=user, verb=Verb.LEAD_TOUCHED, program_id=lead.program_id, obj=lead,
        payload={"kind": kind},
    )  # fmt: skip
    return touch


@transaction.atomic
def accept_lead(*, lead: Lead, user: User) -> None:
    """Accept a lead, re-read under a lock: refused if it was moved to another rep since the
    caller read it; accepting it twice records one acceptance."""
    current = Lead.objects.select_for_update().get(pk=lead.pk)
    if current.rep_id != lead.rep_id:
        raise Conflict("This lead was just moved to another rep: reload the page.")
    lead.status = LeadStatus.ACCEPTED
    if current.status == LeadStatus.ACCEPTED:
        return
    current.status = LeadStatus.ACCEPTED
    current.save(update_fields=["status"])
    emit_event(
        org=lead.org, actor=user, verb=Verb.LEAD_ACCEPTED, program_id=lead.program_id, obj=lead
    )


@transaction.atomic
def reject_leads(
    *, leads: Iterable[Lead], user: User, reason: RejectionReason, comment: str
) -> int:
    """Reject one lead or many; a reason is always required (the form ensures it). Each lead
    is re-read under a lock: one moved to another rep since the caller read it refuses the
    whole rejection; one already rejected for the same reason is not rejected twice."""
    wanted = {lead.pk: lead for lead in leads}
    fresh = Lead.objects.select_for_update().filter(pk__in=list(wanted)).order_by("pk")
    count = 0
    for current in fresh:
        lead = wanted[current.pk]
        if current.rep_id != lead.rep_id:
            raise Conflict(f"{lead} was just moved to another rep: reload the page.")
        same = (
            current.status == LeadStatus.REJECTED
            and current.rejection_reason_id == reason.pk
            and current.rejection_comment == comment
        )
        lead.status = LeadStatus.REJECTED
        lead.rejection_reason = reason
        lead.rejection_comment = comment
        count += 1
        if same:
            continue  # a double click or a second tab: one rejection, one event
        current.status = LeadStatus.REJECTED
        current.rejection_reason = reason
        current.rejection_comment = comment
        current.save(update_fields=["status", "rejection_reason", "rejection_comment"])
        emit_event(
            org=lead.org, actor=user, verb=Verb.LEAD_REJECTED, program_id=current.program_id,
            obj=current, payload={"reason": reason.code},
        )  # fmt: skip
    return count


@transaction.atomic
def reassign(*, lead: Lead, leader: Membership, to: Membership) -> None:
    """Move a lead to another rep; the lead is re-read under a lock and only its rep is
    written, so a touch or rejection committed meanwhile stands."""
    current = Lead.objects.select_for_update(of=("self",)).select_related("rep").get(pk=lead.pk)
    teams = leader_team_ids(leader)
    if to.team_id not in teams or not can_work(leader, current):
        raise NotAllowed("You can move leads only between reps of the teams you lead.")
    before = current.rep
    lead.rep = to.user
    if current.rep_id == to.user_id:
        return
    current.rep = to.user
    current.save(update_fields=["rep"])
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
    calendars: dict[int, RepCalendars] = {}
    for lead in open_leads:
        if lead.org_id not in calendars:
            calendars[lead.org_id] = RepCalendars(lead.org)
        calendar = calendars[lead.org_id].for_rep(lead.rep_id)
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
            if note is not None:  # the first time this lead passed its SLA
                sent += 1
                emit_event(
                    org=lead.org, actor=None, verb=Verb.LEAD_SLA_BREACHED,
                    program_id=lead.program_id, obj=lead,
                    payload={"sla_hours": sla_hours(lead), "rep_id": lead.rep_id},
                )  # fmt: skip
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
    clocks = RepClocks(org)
    for lead in leads:
        lead.program = program
        refresh_sla(lead, clocks.for_rep(lead.rep_id))
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


def reject_with_reason(
    *, org: Organization, leads: Iterable[Lead], user: User, reason_code: str, comment: str
) -> int:
    """Reject leads with one of the organization's active reasons; the reason "other"
    needs a comment saying why (the leads page and the API share this rule)."""
    ensure_rejection_reasons(org)
    reason = RejectionReason.objects.for_org(org).filter(code=reason_code, active=True).first()
    if reason is None:
        raise LeadError("Rejecting a lead needs a reason: pick one from the list.")
    if reason.code == "other" and not comment.strip():
        raise LeadError("With the reason “Other”, say why in the comment.")
    return reject_leads(leads=leads, user=user, reason=reason, comment=comment.strip())
