"""The scale bench's generator (`lockstep bench generate`) is deterministic and writes a
consistent organization, and its hand-written SQL computes the product's numbers.

Only the "tiny" size runs here (seconds); S, M and L run in `make bench`, never in the tests.
No test asserts a timing."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import F
from django.test import Client
from django.urls import reverse

from lockstep.accounts.models import User
from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent, AuditLog
from lockstep.core.permissions import Role
from lockstep.enablement.models import CheckAttempt, TrainingCompletion
from lockstep.feedback.models import PulseResponse
from lockstep.insights import funnel
from lockstep.ops.bench import figures, hand
from lockstep.ops.bench.generate import SIZES, BenchError, generate
from lockstep.ops.bench.run import largest_program
from lockstep.ops.demo.base import DEMO_PASSWORD
from lockstep.orgs.models import Membership, Organization, Team
from lockstep.programs.models import Program, Target
from lockstep.programs.selectors import audience_team_ids
from lockstep.results.models import Lead, LeadTouch, Opportunity

ANCHOR = dt.date(2026, 11, 20)
IMPORT_TIME_VERBS = {Verb.LEAD_IMPORTED, Verb.OPPORTUNITY_WON}  # stamped "now" by the import


def _who(user: User | None) -> str:
    return user.email.split("@")[0] if user else ""


def _digest(rows: list[Any]) -> str:
    return hashlib.sha256(repr(sorted(rows, key=repr)).encode()).hexdigest()


def signature(org: Organization) -> dict[str, Any]:
    """The organization's data with everything that names it (ids, slug) left out."""
    programs = Program.objects.for_org(org).prefetch_related("audience")
    events = ActivityEvent.objects.for_org(org).select_related("actor", "program")
    return {
        "teams": _digest(
            [(t.name, t.parent.name if t.parent else "", t.channel)
             for t in Team.objects.for_org(org).select_related("parent")]
        ),
        "members": _digest(
            [(_who(m.user), m.role, m.team.name if m.team else "")
             for m in Membership.objects.for_org(org).select_related("user", "team")]
        ),
        "programs": _digest(
            [(p.name, p.status, p.launch_date, p.end_date, p.sla_hours, p.pulse_anonymous,
              p.campaign_codes, sorted(t.name for t in p.audience.all())) for p in programs]
        ),
        "targets": _digest(
            [(t.program.name, t.team.name, t.metric, t.period, t.value)
             for t in Target.objects.filter(program__org=org).select_related("program", "team")]
        ),
        "leads": _digest(
            [(lead.external_id, _who(lead.rep), lead.program.name if lead.program else "",
              lead.status, lead.created_at, lead.first_touch_at, lead.sla_due_at,
              lead.first_touch_seconds,
              lead.rejection_reason.code if lead.rejection_reason else "")
             for lead in Lead.objects.for_org(org).select_related(
                 "rep", "program", "rejection_reason")]
        ),
        "opportunities": _digest(
            [(o.external_id, _who(o.owner), o.program.name if o.program else "",
              o.lead.external_id if o.lead else "", o.amount, o.quantity, o.outcome,
              o.close_date, o.created_at)
             for o in Opportunity.objects.for_org(org).select_related("owner", "program", "lead")]
        ),
        "events": _digest(
            [(_who(e.actor), e.verb, e.program.name if e.program else "",
              None if e.verb in IMPORT_TIME_VERBS else e.occurred_at, e.object_type)
             for e in events]
        ),
        "completions": _digest(
            [(c.item.title, c.item.program.name, _who(c.user), c.completed_at)
             for c in TrainingCompletion.objects.for_org(org).select_related(
                 "item__program", "user")]
        ),
        "attempts": _digest(
            [(a.knowledge_check.program.name, _who(a.user), a.number, a.passed, a.score)
             for a in CheckAttempt.objects.for_org(org).select_related(
                 "knowledge_check__program", "user")]
        ),
        "pulses": _digest(
            [(r.program.name, r.round.day_offset, _who(r.user), r.understand, r.helps,
              r.next_steps, r.updated_at)
             for r in PulseResponse.objects.for_org(org).select_related(
                 "program", "round", "user")]
        ),
        "meetings": _digest(
            [(t.lead.external_id, _who(t.rep), t.kind, t.at)
             for t in LeadTouch.objects.for_org(org).select_related("lead", "rep")]
        ),
    }  # fmt: skip


@pytest.mark.django_db
def test_the_same_size_and_anchor_give_the_same_data() -> None:
    first = generate("tiny", slug="bench-one", anchor=ANCHOR)
    second = generate("tiny", slug="bench-two", anchor=ANCHOR)
    assert first.counts == second.counts
    assert signature(first.org) == signature(second.org)
    with pytest.raises(BenchError):
        generate("tiny", slug="bench-one", anchor=ANCHOR)


@pytest.mark.django_db
def test_the_generated_organization_is_consistent() -> None:
    size = SIZES["tiny"]
    org = generate("tiny", anchor=ANCHOR).org
    counts = org.extra["bench"]["counts"]
    assert org.extra["bench"]["complete"]
    assert (counts["teams"], counts["reps"], counts["programs"]) == (
        size.teams, size.reps, size.programs,
    )  # fmt: skip
    # leads and opportunities came through the import engine, every row of them
    assert counts["leads"] == counts["leads_imported"] == size.leads
    assert counts["opportunities"] == counts["opportunities_imported"] == size.opportunities
    imports = AuditLog.objects.for_org(org).filter(action="import.finished")
    assert {a.changes["kind"][1] for a in imports} == {"teams", "leads", "opportunities"}
    assert abs(counts["events"] - size.events) < size.events * 0.1
    # owners of leads are members; every opportunity of a lead belongs to its program
    members = set(Membership.objects.for_org(org).values_list("user_id", flat=True))
    owners = set(Lead.objects.for_org(org).exclude(rep=None).values_list("rep_id", flat=True))
    assert owners and owners <= members
    linked = Opportunity.objects.for_org(org).exclude(lead=None)
    assert linked.exists() and not linked.exclude(program=F("lead__program")).exists()
    # one password hash for everybody, and not the demo's
    people = User.objects.filter(memberships__org=org)
    assert people.values("password").distinct().count() == 1
    assert not people.first().check_password(DEMO_PASSWORD)  # type: ignore[union-attr]
    # the flagship reaches every rep; its funnel has data at every stage
    flagship = Program.objects.for_org(org).get(name="Flagship launch")
    reps = Membership.objects.for_org(org).filter(role__in=[Role.REP, Role.PARTNER_REP])
    assert set(audience_team_ids(flagship)) >= set(reps.values_list("team_id", flat=True))
    total = funnel.program_funnel(flagship)["total"]
    assert total.reps == reps.count()
    assert all(total.shares[s] is not None for s in funnel.STAGES)
    # the bench measures the program with the most leads
    assert largest_program(org).leads.count() == max(
        p.leads.count() for p in Program.objects.for_org(org)
    )


@pytest.mark.django_db
def test_the_hand_written_sql_computes_the_products_numbers() -> None:
    org = generate("tiny", anchor=ANCHOR).org
    now = dt.datetime.now(tz=dt.UTC)
    for program in Program.objects.for_org(org):
        assert figures.differences(figures.funnel(program, now), hand.funnel(program.pk, now)) == []
        assert (
            figures.differences(figures.results(program, now), hand.results(program.pk, now)) == []
        )
    # and a difference is found: one rep fewer in the hand's total
    program = largest_program(org)
    product = figures.funnel(program, now)
    other = hand.funnel(program.pk, now)
    changed = figures.FunnelFigures(
        other.rows,
        other.total.__class__(**{**other.total.__dict__, "reps": other.total.reps - 1}),
        other.targets,
    )
    assert figures.differences(product, changed) == [
        f"FunnelFigures.total.reps: product {product.total.reps}, hand {product.total.reps - 1}"
    ]


@pytest.mark.django_db
def test_bench_run_prints_the_tables() -> None:
    out = io.StringIO()
    call_command(
        "bench", "run", "--sizes", "tiny", "--runs", "1", "--http-seconds", "0", stdout=out
    )
    text = out.getvalue()
    assert "Figures of the largest program" in text
    assert "page: rep brief (rep)" in text and "funnel product" in text


@pytest.mark.urls("lockstep.ops.bench.urlconf")
@pytest.mark.django_db
def test_the_trivial_page_renders_the_layout_for_members_only() -> None:
    org = generate("tiny", anchor=ANCHOR).org
    url = reverse("bench_base", kwargs={"org_slug": org.slug})
    rep = Membership.objects.for_org(org).filter(role=Role.REP).select_related("user").first()
    assert rep is not None
    client = Client()
    assert client.get(url).status_code == 302  # to the log-in page
    client.force_login(rep.user)
    response = client.get(url)
    assert response.status_code == 200
    assert b'class="topbar"' in response.content and b"Leads" in response.content


def test_the_trivial_page_is_not_mounted_without_the_setting() -> None:
    import lockstep.urls

    assert not any(p in lockstep.urls.urlpatterns for p in lockstep.urls.BENCH_PATTERNS)
