"""Loading leads, import jobs and rejection reasons for a member, else 404."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from lockstep.core.models import ImportJob
from lockstep.core.permissions import Perm, Role, can
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import my_reps
from lockstep.results.models import Lead, RejectionReason


def workable_leads(membership: Membership) -> QuerySet[Lead]:
    """The leads a member works: a rep their own, a sales leader those of their teams' reps."""
    leads = Lead.objects.for_org(membership.org)
    if membership.role == Role.SALES_LEADER:
        return leads.filter(rep_id__in=my_reps(membership).values("user_id"))
    return leads.filter(rep=membership.user)


def access_lead(membership: Membership, lead_id: int, *, for_update: bool = False) -> Lead:
    leads = workable_leads(membership).select_related("program", "org")
    if for_update:
        leads = leads.select_for_update(of=("self",))
    lead = leads.filter(pk=lead_id).first()
    if lead is None:
        raise Http404("No such lead")
    return lead


def readable_leads(membership: Membership) -> QuerySet[Lead]:
    """The leads whose page a member may read: everyone's for those who see every team, the
    leads of their teams' reps for a sales leader, their own for a rep."""
    if can(membership, Perm.SEE_ALL_TEAMS):
        return Lead.objects.for_org(membership.org)
    return workable_leads(membership)


def access_readable_lead(membership: Membership, lead_id: int) -> Lead:
    """A lead to read (its page and history), else 404."""
    lead = (
        readable_leads(membership)
        .select_related("program", "rep", "rejection_reason")
        .filter(pk=lead_id)
        .first()
    )
    if lead is None:
        raise Http404("No such lead")
    return lead


def access_import_job(
    membership: Membership, job_id: int, *, for_update: bool = False
) -> ImportJob:
    jobs = ImportJob.objects.for_org(membership.org)
    if for_update:
        jobs = jobs.select_for_update()
    job = jobs.filter(pk=job_id).first()
    if job is None:
        raise Http404("No such import")
    return job


def access_rejection_reason(
    membership: Membership, reason_id: int, *, for_update: bool = False
) -> RejectionReason:
    reasons = RejectionReason.objects.for_org(membership.org)
    if for_update:
        reasons = reasons.select_for_update()
    reason = reasons.filter(pk=reason_id).first()
    if reason is None:
        raise Http404("No such reason")
    return reason
