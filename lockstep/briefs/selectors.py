"""The rep's home: my live programs with what is left to do and when it is due, my leads
and their SLA clocks, my progress against my share of my team's targets, my upcoming
sessions and my certificates — in a fixed number of queries whatever the number of
programs, leads or targets."""

from __future__ import annotations

import datetime as dt
from functools import partial
from typing import Any

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from lockstep.briefs.services import BriefState
from lockstep.core.charts import BLUE, Series, bar_chart, target_line
from lockstep.core.csvexport import Table
from lockstep.core.events import Verb
from lockstep.core.models import ActivityEvent
from lockstep.core.snapshots import figures
from lockstep.enablement.models import Certification, CheckAttempt, TrainingCompletion
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import TeamTree
from lockstep.programs.models import (
    CheckQuestion,
    Program,
    ProgramStatus,
    TrainingItem,
    TrainingKind,
)
from lockstep.programs.selectors import visible_programs
from lockstep.results import metrics
from lockstep.results.business_hours import Calendar
from lockstep.results.metrics import Judgement
from lockstep.results.models import Lead, LeadStatus
from lockstep.results.selectors import clock

OPEN_LEADS_SHOWN = 8


def _count(queryset: Any) -> Coalesce:
    return Coalesce(
        Subquery(queryset.values("n")[:1], output_field=IntegerField()),
        0,
    )


SESSION_MAX = dt.timedelta(days=1)  # no session lasts longer (the forms stop at 10 hours)


def recent_sessions(
    membership: Membership, tree: TeamTree | None = None, now: dt.datetime | None = None
) -> list[TrainingItem]:
    """The live sessions of the member's live programs that start later or started at
    most SESSION_MAX ago (so may not be over yet), in time order (one query)."""
    now = now or timezone.now()
    live = visible_programs(membership, tree).filter(
        status=ProgramStatus.LIVE, archived_at__isnull=True
    )
    return list(
        TrainingItem.objects.filter(
            program__in=live.values("pk"), kind=TrainingKind.LIVE, starts_at__gte=now - SESSION_MAX
        )
        .select_related("program")
        .order_by("starts_at")
    )


def live_programs_for(
    membership: Membership,
    tree: TeamTree | None = None,
    *,
    now: dt.datetime | None = None,
    recent: list[TrainingItem] | None = None,
) -> list[Program]:
    """The rep's live programs, each annotated with what the rep has done (one query, and
    one for the `recent` sessions unless the caller has them)."""
    user = membership.user
    program = OuterRef("pk")
    now = now or timezone.now()
    if recent is None:
        recent = recent_sessions(membership, tree, now)
    # a live session that is over is no longer something to do (attended or missed)
    over = [t.pk for t in recent if t.ends_at is not None and t.ends_at <= now]
    long_ago = Q(kind=TrainingKind.LIVE, starts_at__lt=now - SESSION_MAX)
    to_do = Q(required=True) & ~long_ago & ~Q(pk__in=over)
    required = (
        TrainingItem.objects.filter(to_do, program=program)
        .values("program")
        .annotate(n=Count("id"))
    )
    done = (
        TrainingCompletion.objects.filter(
            item__in=TrainingItem.objects.filter(to_do), item__program=program, user=user
        )
        .values("item__program")
        .annotate(n=Count("id"))
    )
    return list(
        visible_programs(membership, tree)
        .filter(status=ProgramStatus.LIVE, archived_at__isnull=True)
        .annotate(
            acknowledged=Exists(
                ActivityEvent.objects.filter(
                    program=program, actor=user, verb=Verb.BRIEF_ACKNOWLEDGED
                )
            ),
            opened=Exists(
                ActivityEvent.objects.filter(program=program, actor=user, verb=Verb.BRIEF_OPENED)
            ),
            n_required=_count(required),
            n_done=_count(done),
            has_check=Exists(CheckQuestion.objects.filter(knowledge_check__program=program)),
            passed=Exists(
                CheckAttempt.objects.filter(
                    knowledge_check__program=program, user=user, passed=True
                )
            ),
        )
        .select_related("org")
        .order_by("launch_date", "name")
    )


def training_due(program: Program) -> dt.date | None:
    """Required training and the knowledge check are due this many days after launch."""
    if program.launch_date is None:
        return None
    return program.launch_date + dt.timedelta(days=program.training_due_days)


def program_rows(programs: list[Program], today: dt.date) -> list[dict[str, Any]]:
    rows = []
    for program in programs:
        p: Any = program
        state = BriefState(acknowledged=p.acknowledged, opened=p.opened)
        due = training_due(program)
        todo: list[dict[str, Any]] = []
        if not state.acknowledged:
            todo.append({"text": "Read the brief and confirm", "due": None})
        left = p.n_required - p.n_done
        if left > 0:
            todo.append(
                {"text": f"{left} required training item{'s' if left > 1 else ''} to do",
                 "due": due}
            )  # fmt: skip
        if p.has_check and not p.passed:
            todo.append({"text": "Pass the knowledge check", "due": due})
        overdue = due is not None and due < today and any(t["due"] for t in todo)
        rows.append({"program": program, "state": state, "todo": [t["text"] for t in todo],
                     "tasks": todo, "due": due, "overdue": overdue})  # fmt: skip
    return rows


def rep_programs(membership: Membership) -> list[dict[str, Any]]:
    """A rep's live programs with what is left to do (two queries)."""
    today = timezone.localdate(timezone=membership.org.tzinfo)
    return program_rows(live_programs_for(membership), today)


def open_lead_rows(org_id: int, user_id: int) -> list[list[Any]]:
    """The rep's open leads for the CSV export (all of them, not only those shown)."""
    open_statuses = [LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.ACCEPTED]
    return [
        [
            str(lead),
            lead.program.name if lead.program else "",
            lead.get_status_display(),
            lead.created_at,
            lead.sla_due_at,
            lead.first_touch_at,
        ]
        for lead in Lead.objects.filter(org_id=org_id, rep_id=user_id, status__in=open_statuses)
        .select_related("program")
        .order_by("sla_due_at")
    ]


def rep_home(membership: Membership) -> dict[str, Any]:
    """The rep's programs, to-dos, leads with their SLA clocks, progress and certificates
    (computed once per change of the data and minute: core.snapshots)."""
    return figures("rep_home", (membership.pk,), lambda: _rep_home(membership))


def _rep_home(membership: Membership) -> dict[str, Any]:
    org = membership.org
    today = timezone.localdate(timezone=org.tzinfo)
    now = timezone.now()
    tree = TeamTree.load(org)
    recent = recent_sessions(membership, tree, now)
    programs = live_programs_for(membership, tree, now=now, recent=recent)
    rows = program_rows(programs, today)
    leads = Lead.objects.for_org(org).filter(rep=membership.user)
    open_statuses = [LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.ACCEPTED]
    calendar = Calendar.for_team(membership.team, org)  # the rep's team's hours
    open_leads = [
        {"lead": lead, "clock": clock(lead, calendar, now)}
        for lead in leads.filter(status__in=open_statuses)
        .select_related("program")
        .order_by("first_touch_at", "sla_due_at", "-created_at")[:OPEN_LEADS_SHOWN]
    ]
    counts = metrics.sla_counts(leads, now)
    lineage_teams: set[int] = set()
    if membership.team_id:
        lineage = {membership.team_id} | tree.ancestors({membership.team_id})
        lineage_teams = tree.descendants(lineage)
    headcount = {t: tree.headcount.get(t, 0) for t in lineage_teams}  # the tree counts reps
    shares = metrics.rep_shares(membership, programs, headcount, today=today, tree=tree)
    share_rows = [s for p in programs for s in shares[p.pk]]
    judged = [s for s in share_rows if s.expected]
    chart = None
    if judged:
        chart = bar_chart(
            "my-progress",
            labels=[
                f"{s.target.program.name} · {s.target.get_metric_display().lower()}" for s in judged
            ],  # fmt: skip
            series=[
                Series("My actual, % of my share so far", [s.percent for s in judged], BLUE),
                target_line("My share so far (100%)", [100] * len(judged)),
            ],
            label="My actual as a share of my part of the team target so far: "
            + "; ".join(f"{s.target.program.name} {s.percent}%" for s in judged),
            caption="What you did so far as a share of your part of the team's pro-rated "
            "target; the black mark is your share so far (100%).",
            fmt="percent",
            horizontal=True,
        )
    # Sessions not over yet (one that is over is no longer a to-do)
    sessions = [t for t in recent if t.ends_at is not None and t.ends_at > now][:10]
    certificates = list(
        Certification.objects.filter(org=org, user=membership.user)
        .select_related("program")
        .order_by("-certified_at")
    )
    tables = [
        Table(
            "programs",
            "my-programs",
            ["Program", "Live since", "Brief confirmed", "To do", "Training due"],
            [
                [
                    r["program"].name,
                    r["program"].launch_date,
                    r["state"].acknowledged,
                    "; ".join(r["todo"]),
                    r["due"],
                ]
                for r in rows
            ],
        ),  # fmt: skip
        Table(
            "targets",
            "my-targets",
            [
                "Program",
                "Team",
                "Metric",
                "Period",
                "Team target",
                "Reps sharing it",
                "My share",
                "My share so far",
                "My actual",
                "Judgement",
            ],
            [
                [
                    s.target.program.name,
                    s.target.team.name,
                    s.target.get_metric_display(),
                    s.target.get_period_display(),
                    s.target.value,
                    s.reps,
                    s.share,
                    s.expected,
                    s.actual,
                    s.judgement,
                ]
                for s in share_rows
            ],
        ),  # fmt: skip
        Table(
            "leads",
            "my-open-leads",
            ["Lead", "Program", "Status", "Arrived", "First touch due", "First touch"],
            lazy_rows=partial(open_lead_rows, org.pk, membership.user_id),
        ),
    ]
    return {
        "team": membership.team,
        "live_programs": rows,
        "open_leads": open_leads,
        "lead_counts": counts,
        "day_minutes": org.business_minutes_per_day,
        "shares": share_rows,
        "judgement": Judgement,
        "chart": chart,
        "sessions": sessions,
        "certificates": certificates,
        "tables": tables,
        "today": today,
    }
