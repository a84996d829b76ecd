"""The program scorecard: every "did it land?" number of one program on one page
(docs/insights.md). Each section is built here from the read model — the funnel
(`insights.funnel`), the results metrics (`results.metrics`), the readiness rules
(`programs.readiness`), the pulse, questions and kit events — scoped to the teams the member
sees, with its chart, its table and the table's CSV.

The page shows the funnel and the targets at once and loads the other sections as it
scrolls in (htmx), each in its own request, so every request stays within the query budget
(tests/test_query_counts.py); each section is also a page of its own."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from functools import partial
from typing import Any

from django.db.models import Avg, Count, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.db.models.sql import Query
from django.template.loader import render_to_string
from django.utils import timezone

from lockstep.core.charts import (
    BLUE,
    GREEN,
    ORANGE,
    SKY,
    VERMILLION,
    Chart,
    Series,
    bar_chart,
    line_chart,
    target_line,
)
from lockstep.core.csvexport import Table
from lockstep.core.events import KIT_USE_VERBS, Verb
from lockstep.core.models import ActivityEvent
from lockstep.core.permissions import SELLING_ROLES, Role
from lockstep.core.snapshots import figures
from lockstep.feedback.models import MIN_GROUP, PULSE_STATEMENTS, PulseResponse, RepQuestion
from lockstep.insights import funnel
from lockstep.insights.themes import Theme, themes_context
from lockstep.orgs.models import Channel, Membership
from lockstep.orgs.selectors import TeamTree, leader_team_ids, reps_in_teams, team_scope, viewer_key
from lockstep.programs.models import Program
from lockstep.programs.readiness import Readiness
from lockstep.programs.selectors import readiness_with_counts, round_opens_on
from lockstep.results import metrics
from lockstep.results.metrics import Judgement, TargetProgress
from lockstep.results.models import Lead
from lockstep.results.selectors import program_leads


def scope_of(membership: Membership, tree: TeamTree | None) -> set[int] | None:
    """`team_scope` with the tree the page already loaded (a leader's teams are memoised)."""
    if membership.role == Role.SALES_LEADER:
        leader_team_ids(membership, tree)
    return team_scope(membership)


# The CSV exports' rows, read only when a CSV is asked for. They take a queryset's `query`
# (which pickles without being run) so that the section's figures can be kept
# (core.snapshots) without reading every row.


def rep_sla_rows(query: Query) -> list[list[Any]]:
    leads = Lead.objects.all()
    leads.query = query
    return [
        [
            r["name"], r["total"], r["counted"], r["within"], r["within_share"], r["late"],
            r["pending"], r["rejection_rate"], r["avg_seconds"],
        ]
        for r in metrics.per_rep(leads)
    ]  # fmt: skip


def question_rows(query: Query) -> list[list[Any]]:
    questions = RepQuestion.objects.all()
    questions.query = query
    return [
        [q.created_at, str(q.asked_by) if q.asked_by else "", q.body, q.answered_at,
         round((q.answered_at - q.created_at).total_seconds() / 3600, 1)
         if q.answered_at else None, q.in_faq]
        for q in questions.select_related("asked_by").order_by("created_at")
    ]  # fmt: skip


def file_name(program: Program, what: str) -> str:
    return f"{program.name}-{what}"


def pct(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- the funnel and the targets -----------------------------------------------------------------

JUDGEMENT_LABELS = {
    Judgement.ON_TRACK: "on track",
    Judgement.BEHIND: "behind",
    Judgement.TOO_EARLY: "too early to judge",
    Judgement.NOT_LAUNCHED: "not launched",
    Judgement.NO_END_DATE: "needs an end date",
}


def target_label(p: TargetProgress) -> str:
    return f"{p.target.team.name} · {p.target.get_metric_display().lower()}"


def funnel_section(
    membership: Membership, program: Program, tree: TeamTree | None = None
) -> dict[str, Any]:
    """The funnel by team (a heat-map), the program's stage bars and the targets against
    their pro-rated expectation (computed once per change of the data: core.snapshots)."""
    return figures(
        "funnel",
        (program.pk, viewer_key(membership)),
        lambda: _funnel_section(membership, program, tree),
    )


def funnel_html(
    membership: Membership, program: Program, data: dict[str, Any], section_url: str
) -> str:
    """The funnel by team and the targets as HTML (the page's costliest part to render),
    rendered once per change of the data like the figures themselves. Nothing in it depends
    on the request: the organization, the program, the figures and the CSV links' page."""
    return figures(
        "funnel_html",
        (program.pk, viewer_key(membership), section_url),
        lambda: render_to_string(
            "insights/_funnel_and_targets.html",
            {**data, "org": membership.org, "program": program, "section_url": section_url},
        ),
    )


def _funnel_section(
    membership: Membership, program: Program, tree: TeamTree | None = None
) -> dict[str, Any]:
    tree = tree or TeamTree.load(program.org)
    scope = scope_of(membership, tree)
    ctx = funnel.load_many([program], tree=tree)[program.pk]
    data = funnel.program_funnel(program, only_team_ids=scope, ctx=ctx)
    total: funnel.Row = data["total"]
    stages = funnel.STAGES
    labels = [funnel.STAGE_LABELS[s] for s in stages]
    stage_chart = bar_chart(
        f"funnel-stages-{program.pk}",
        labels=labels,
        series=[Series("Share of reps", [total.shares[s] for s in stages], color=BLUE)],
        label=(
            f"{program.name}: share of the audience reps at each stage — "
            + ", ".join(
                f"{funnel.STAGE_LABELS[s]} "
                + (f"{total.shares[s]:.0f}%" if total.shares[s] is not None else total.why[s])
                for s in stages
            )
        ),
        caption="Share of audience reps at each stage (stages without data have no bar).",
        fmt="percent",
        horizontal=True,
        max_value=100,
    )
    progress = [
        p for p in ctx.progress if scope is None or tree.descendants([p.target.team_id]) & scope
    ]
    judged = [p for p in progress if p.judged]
    target_chart = None
    if judged:
        one_metric = len({p.target.metric for p in judged}) == 1
        target_chart = bar_chart(
            f"targets-{program.pk}",
            labels=[p.target.team.name if one_metric else target_label(p) for p in judged],
            series=[
                Series("Actual, % of expected so far", [p.share for p in judged], color=BLUE),
                target_line("Pro-rated target (100%)", [100 for _ in judged]),
            ],
            label="Each judged target's actual as a percentage of what was expected by now: "
            + "; ".join(f"{target_label(p)} {p.share}%" for p in judged),
            caption=(f"{judged[0].target.get_metric_display()}: " if one_metric else "")
            + "actual as a share of the target pro-rated to the period so far; the black "
            "mark is the pro-rated target (100%).",
            fmt="percent",
            horizontal=True,
        )
    tables = [
        Table(
            "funnel",
            file_name(program, "funnel"),
            ["Team", "Parent team", "Reps", *labels, "Lockstep score"],
            [
                [
                    row.label,
                    tree.names.get(row.team.parent_id or 0, "") if row.team else "",
                    row.reps,
                    *[
                        pct(row.shares[s]) if row.shares[s] is not None else row.why.get(s, "")
                        for s in stages
                    ],
                    row.score,
                ]
                for row in [total, *data["rows"]]
            ],
        ),
        targets_table(program, progress),
    ]
    return {
        **data,
        "ctx": ctx,
        "tree": tree,
        "scope": scope,
        "weights": funnel.SCORE_WEIGHTS,
        "stage_chart": stage_chart,
        "target_chart": target_chart,
        "targets": progress,
        "judgement_labels": JUDGEMENT_LABELS,
        "tables": tables,
    }


def targets_table(program: Program, progress: list[TargetProgress]) -> Table:
    return Table(
        "targets",
        file_name(program, "targets"),
        [
            "Team", "Metric", "Period", "Target", "Window", "Days so far", "Days in period",
            "Expected so far", "Actual", "Actual % of expected", "Judgement",
        ],
        [
            [
                p.target.team.name,
                p.target.get_metric_display(),
                p.target.get_period_display(),
                p.target.value,
                p.window.label if p.window else "",
                p.window.elapsed_days if p.window else None,
                p.window.period_days if p.window else None,
                p.expected,
                p.actual,
                p.share,
                JUDGEMENT_LABELS.get(p.judgement, p.judgement),
            ]
            for p in progress
        ],
    )  # fmt: skip


# --- readiness --------------------------------------------------------------------------------


def readiness_section(
    membership: Membership, program: Program, tree: TeamTree | None = None
) -> dict[str, Any]:
    tree = tree or TeamTree.load(program.org)
    readiness: Readiness = readiness_with_counts(program, tree)
    chart = bar_chart(
        f"readiness-{program.pk}",
        labels=[q.title for q in readiness.questions],
        series=[
            Series("Points", [q.points for q in readiness.questions], color=BLUE),
            Series(
                "Points missing",
                [q.weight - q.points for q in readiness.questions],
                color="#d9dee7",
            ),
        ],
        label=f"Readiness {readiness.score} of 100: "
        + "; ".join(f"{q.title} {q.points} of {q.weight}" for q in readiness.questions),
        caption="Points per question: all when complete, half when partial, none when empty.",
        horizontal=True,
        stacked=True,
    )
    table = Table(
        "readiness",
        file_name(program, "readiness"),
        ["Question", "State", "Points", "Out of", "Findings"],
        [
            [q.title, q.state.value, q.points, q.weight, " · ".join(f.message for f in q.findings)]
            for q in readiness.questions
        ],
    )
    return {
        "readiness": readiness,
        "threshold": program.org.readiness_threshold,
        "chart": chart,
        "tables": [table],
    }


# --- speed-to-lead and rejections ---------------------------------------------------------------


def sla_section(
    membership: Membership, program: Program, tree: TeamTree | None = None
) -> dict[str, Any]:
    tree = tree or TeamTree.load(program.org)
    scope = scope_of(membership, tree)
    leads = program_leads(membership, program)
    summary = metrics.sla_summary(leads)
    by_team = metrics.per_team(leads, program.org)
    team_rows: list[dict[str, Any]] = sorted(
        (
            {"team_id": team_id, "name": tree.names.get(team_id, "—"), "summary": row}
            for team_id, row in by_team.items()
            if scope is None or team_id in scope
        ),
        key=lambda r: r["name"],
    )
    distribution = metrics.first_touch_distribution(leads)
    sla_hours = program.sla_hours
    judged_rows = [r for r in team_rows if r["summary"]["within_share"] is not None]
    team_chart = None
    if judged_rows:
        team_chart = bar_chart(
            f"sla-teams-{program.pk}",
            labels=[r["name"] for r in judged_rows],
            series=[
                Series(
                    "Answered within the SLA",
                    [r["summary"]["within_share"] for r in judged_rows],
                    color=BLUE,
                )
            ],
            label="Share of judged leads answered within the SLA, by team: "
            + "; ".join(f"{r['name']} {r['summary']['within_share']}%" for r in judged_rows),
            caption=f"Share of each team's judged leads answered within the {sla_hours}-hour "
            "SLA (leads still inside their SLA are not judged yet).",
            fmt="percent",
            horizontal=True,
            max_value=100,
        )
    touched = sum(b["leads"] for b in distribution)
    distribution_chart = None
    if touched:
        distribution_chart = bar_chart(
            f"sla-distribution-{program.pk}",
            labels=[b["label"] for b in distribution],
            series=[
                Series(
                    "Leads",
                    [b["leads"] for b in distribution],
                    extra={
                        "backgroundColor": [
                            BLUE if (b["high_hours"] or 10**6) <= sla_hours else ORANGE
                            for b in distribution
                        ]
                    },
                )
            ],
            label="Touched leads by business time to first touch: "
            + "; ".join(f"{b['label']} {b['leads']}" for b in distribution),
            caption=f"Business time to first touch of the {touched} touched leads. Blue: "
            f"within the {sla_hours}-hour SLA; orange: beyond it (or straddling it).",
        )
    tables = [
        Table(
            "teams",
            file_name(program, "speed-to-lead-by-team"),
            [
                "Team",
                "Leads",
                "Judged",
                "Within SLA",
                "Within SLA %",
                "Late",
                "Waiting",
                "Rejected",
                "Rejected %",
            ],
            [
                [
                    r["name"],
                    s["total"],
                    s["counted"],
                    s["within"],
                    s["within_share"],
                    s["late"],
                    s["pending"],
                    s["rejected"],
                    s["rejection_rate"],
                ]
                for r in team_rows
                for s in [r["summary"]]
            ],
        ),  # fmt: skip
        Table(
            "distribution",
            file_name(program, "first-touch-distribution"),
            ["Business hours to first touch", "From (h)", "To (h)", "Leads"],
            [[b["label"], b["low_hours"], b["high_hours"], b["leads"]] for b in distribution],
        ),
        Table(
            "reps",
            file_name(program, "speed-to-lead-by-rep"),
            [
                "Rep",
                "Leads",
                "Judged",
                "Within SLA",
                "Within SLA %",
                "Late",
                "Waiting",
                "Rejected %",
                "Average business seconds to first touch",
            ],
            lazy_rows=partial(rep_sla_rows, leads.query),
        ),  # fmt: skip
    ]
    return {
        "summary": summary,
        "team_rows": team_rows,
        "distribution": distribution,
        "team_chart": team_chart,
        "distribution_chart": distribution_chart,
        "tables": tables,
    }


TOP_REASONS = 5


def rejections_section(
    membership: Membership, program: Program, tree: TeamTree | None = None
) -> dict[str, Any]:
    leads = program_leads(membership, program)
    reasons = metrics.rejection_reasons(leads)
    weekly = metrics.rejections_by_week(leads, program.org)
    rejected = sum(r["n"] for r in reasons)
    reason_chart = None
    week_chart = None
    if reasons:
        names = [r["rejection_reason__label"] or "—" for r in reasons]
        reason_chart = bar_chart(
            f"rejections-{program.pk}",
            labels=names,
            series=[Series("Rejected leads", [r["n"] for r in reasons], color=VERMILLION)],
            label="Rejected leads by reason: "
            + "; ".join(f"{n} {r['n']}" for n, r in zip(names, reasons, strict=True)),
            caption=f"Why sales rejected {rejected} lead{'s' if rejected != 1 else ''}.",
            horizontal=True,
        )
        top = names[:TOP_REASONS]
        weeks = sorted({w["week"] for w in weekly})
        counts: dict[tuple[dt.date, str], int] = defaultdict(int)
        for w in weekly:
            counts[(w["week"], w["reason"] if w["reason"] in top else "Other reasons")] += w["n"]
        groups = top + (["Other reasons"] if len(names) > TOP_REASONS else [])
        week_labels = [f"{w:%-d %b}" for w in weeks]
        week_chart = bar_chart(
            f"rejections-weekly-{program.pk}",
            labels=week_labels,
            series=[
                Series(group, [counts[(w, group)] for w in weeks], stack="reasons")
                for group in groups
            ],
            label="Rejected leads per week of arrival, by reason, over "
            f"{len(weeks)} week{'s' if len(weeks) != 1 else ''}.",
            caption="Rejected leads by the week they came in (Monday first), stacked by reason.",
            stacked=True,
        )
    tables = [
        Table(
            "reasons",
            file_name(program, "rejection-reasons"),
            ["Reason", "Rejected leads", "Share of rejected %"],
            [
                [
                    r["rejection_reason__label"] or "—",
                    r["n"],
                    round(100 * r["n"] / rejected, 1) if rejected else None,
                ]
                for r in reasons
            ],
        ),  # fmt: skip
        Table(
            "weekly",
            file_name(program, "rejections-by-week"),
            ["Week of", "Reason", "Rejected leads"],
            [[w["week"], w["reason"], w["n"]] for w in weekly],
        ),
    ]
    return {
        "reasons": reasons,
        "rejected": rejected,
        "reason_chart": reason_chart,
        "week_chart": week_chart,
        "tables": tables,
    }


# --- kit usage ----------------------------------------------------------------------------------


def kit_section(
    membership: Membership, program: Program, tree: TeamTree | None = None
) -> dict[str, Any]:
    """Views and downloads per asset by audience reps (direct and inside sales vs partner
    reps), the reps who opened each, and the assets nobody opened."""
    tree = tree or TeamTree.load(program.org)
    scope = scope_of(membership, tree)
    audience = tree.descendants(program.audience.values_list("id", flat=True))
    teams = audience if scope is None else audience & scope
    reps = reps_in_teams(program.org, teams)
    partner_teams = {t for t in teams if tree.channels.get(t) == Channel.PARTNER}
    headcount = {"direct": 0, "partner": 0}
    for team_id, n in reps.values_list("team_id").annotate(n=Count("id")).order_by():
        headcount["partner" if team_id in partner_teams else "direct"] += n
    assets = list(program.assets.all())
    channel = Subquery(
        Membership.objects.filter(
            org=program.org, user_id=OuterRef("actor_id"), role__in=list(SELLING_ROLES)
        ).values("team__channel")[:1]
    )
    events = ActivityEvent.objects.filter(
        program=program,
        verb__in=list(KIT_USE_VERBS),
        object_type="asset",
        actor_id__in=reps.values("user_id"),
    )
    rows = (
        events.annotate(channel=Coalesce(channel, Value("")))
        .values("object_id", "channel")
        .annotate(
            views=Count("id", filter=Q(verb=Verb.ASSET_VIEWED)),
            downloads=Count("id", filter=Q(verb=Verb.ASSET_DOWNLOADED)),
            reps=Count("actor", distinct=True),
        )
        .order_by()
    )
    usage: dict[int, dict[str, int]] = defaultdict(
        lambda: {"views": 0, "downloads": 0, "direct": 0, "partner": 0}
    )
    for row in rows:
        if row["object_id"] is None:
            continue
        u = usage[row["object_id"]]
        u["views"] += row["views"]
        u["downloads"] += row["downloads"]
        u["partner" if row["channel"] == Channel.PARTNER else "direct"] += row["reps"]
    items: list[dict[str, Any]] = [
        {
            "asset": a,
            **usage.get(a.pk, {"views": 0, "downloads": 0, "direct": 0, "partner": 0}),
        }
        for a in assets
    ]
    for item in items:
        item["opened"] = item["direct"] + item["partner"]
    never = [i for i in items if not i["opened"]]
    chart = None
    if any(i["opened"] for i in items):
        chart = bar_chart(
            f"kit-{program.pk}",
            labels=[i["asset"].title for i in items],
            series=[
                Series(
                    "Direct and inside-sales reps", [i["direct"] for i in items], BLUE, stack="reps"
                ),
                Series("Partner reps", [i["partner"] for i in items], ORANGE, stack="reps"),
            ],  # fmt: skip
            label="Reps who opened each asset: "
            + "; ".join(
                f"{i['asset'].title} {i['direct']} direct, {i['partner']} partner" for i in items
            ),
            caption=f"Reps who opened each asset, of {headcount['direct']} direct and "
            f"{headcount['partner']} partner reps in the audience.",
            horizontal=True,
            stacked=True,
        )
    table = Table(
        "assets",
        file_name(program, "kit-usage"),
        ["Asset", "Kind", "Partner-visible", "Views", "Downloads", "Direct reps who opened",
         "Partner reps who opened", "Never opened"],
        [
            [i["asset"].title, i["asset"].get_kind_display(), i["asset"].partner_visible,
             i["views"], i["downloads"], i["direct"], i["partner"], not i["opened"]]
            for i in items
        ],
    )  # fmt: skip
    return {"items": items, "never": never, "headcount": headcount, "chart": chart,
            "tables": [table]}  # fmt: skip


# --- pulse trend --------------------------------------------------------------------------------


def pulse_section(
    membership: Membership, program: Program, tree: TeamTree | None = None
) -> dict[str, Any]:
    """Each statement's average per round. Anonymous pulses: a round with fewer than five
    answers (in the teams the member sees) is hidden; nobody's answer is ever shown."""
    rounds = list(program.pulse_rounds.all())
    scope = scope_of(membership, tree)
    responses = PulseResponse.objects.filter(program=program)
    if scope is not None:
        responses = responses.filter(team_id__in=scope)
    averages = {f"avg_{key}": Avg(key) for key in PULSE_STATEMENTS}
    per_round: dict[int, dict[str, Any]] = {
        row["round_id"]: dict(row)
        for row in responses.values("round_id").annotate(n=Count("id"), **averages).order_by()
    }
    rows: list[dict[str, Any]] = []
    for pulse_round in rounds:
        row = per_round.get(pulse_round.pk, {"n": 0})
        hidden = program.pulse_anonymous and 0 < row["n"] < MIN_GROUP
        values = {
            key: None if hidden or not row["n"] else round(float(row[f"avg_{key}"]), 2)
            for key in PULSE_STATEMENTS
        }
        opens = round_opens_on(pulse_round, program)
        rows.append(
            {"round": pulse_round, "opens": opens, "answers": row["n"], "hidden": hidden,
             "averages": values}
        )  # fmt: skip
    chart = None
    shown = [r for r in rows if r["answers"] and not r["hidden"]]
    if shown:
        labels = [f"{r['round']}" + (f" · {r['opens']:%-d %b}" if r["opens"] else "") for r in rows]
        chart = line_chart(
            f"pulse-{program.pk}",
            labels=labels,
            series=[
                Series(text, [r["averages"][key] for r in rows], color=color)
                for (key, text), color in zip(
                    PULSE_STATEMENTS.items(), [BLUE, ORANGE, GREEN], strict=True
                )
            ],
            label="Average pulse score per round (1 to 5): "
            + "; ".join(
                f"{r['round']}: "
                + ", ".join(f"{PULSE_STATEMENTS[k]} {v}" for k, v in r["averages"].items())
                for r in shown
            ),
            caption="Average answer per statement, 1 (not at all) to 5 (completely)"
            + (
                f"; rounds with fewer than {MIN_GROUP} answers are hidden (anonymous pulse)."
                if program.pulse_anonymous
                else "."
            ),  # fmt: skip
            min_value=1,
            max_value=5,
        )
    table = Table(
        "trend",
        file_name(program, "pulse-trend"),
        ["Round", "Opens on", "Answers", *PULSE_STATEMENTS.values()],
        [
            [str(r["round"]), r["opens"], r["answers"],
             *[("hidden" if r["hidden"] else r["averages"][k]) for k in PULSE_STATEMENTS]]
            for r in rows
        ],
    )  # fmt: skip
    return {
        "rows": rows,
        "statements": PULSE_STATEMENTS,
        "min_group": MIN_GROUP,
        "anonymous": program.pulse_anonymous,
        "chart": chart,
        "tables": [table],
    }


# --- questions ----------------------------------------------------------------------------------

ANSWER_BANDS: list[tuple[str, float | None]] = [
    ("under 4 h", 4),
    ("4–24 h", 24),
    ("1–3 days", 72),
    ("over 3 days", None),
]


def questions_section(
    membership: Membership, program: Program, tree: TeamTree | None = None
) -> dict[str, Any]:
    """Open questions (oldest first) and how fast marketing answers, for the reps the member
    sees."""
    questions = RepQuestion.objects.filter(program=program)
    scope = scope_of(membership, tree)
    if scope is not None:
        questions = questions.filter(
            asked_by_id__in=reps_in_teams(program.org, scope).values("user_id")
        )
    answered = questions.filter(answered_at__isnull=False).values_list("created_at", "answered_at")
    hours = sorted(
        (when - asked).total_seconds() / 3600 for asked, when in answered if when is not None
    )
    median_hours = round(statistics.median(hours), 1) if hours else None
    open_questions = list(
        questions.filter(answered_at__isnull=True).select_related("asked_by").order_by("created_at")
    )
    bands: list[dict[str, Any]] = []
    low = 0.0
    for label, high in ANSWER_BANDS:
        n = sum(1 for h in hours if h >= low and (high is None or h < high))
        bands.append({"label": label, "answered": n})
        low = high or low
    chart = None
    if hours or open_questions:
        chart = bar_chart(
            f"questions-{program.pk}",
            labels=[b["label"] for b in bands] + ["still open"],
            series=[
                Series(
                    "Questions",
                    [b["answered"] for b in bands] + [len(open_questions)],
                    extra={"backgroundColor": [BLUE] * len(bands) + [ORANGE]},
                )
            ],
            label="Questions by time to first answer: "
            + "; ".join(f"{b['label']} {b['answered']}" for b in bands)
            + f"; still open {len(open_questions)}.",
            caption="Time from a rep's question to marketing's first answer.",
            size="short",
        )
    table = Table(
        "questions",
        file_name(program, "questions"),
        ["Asked", "Asked by", "Question", "Answered", "Hours to answer", "In the FAQ"],
        lazy_rows=partial(question_rows, questions.query),
    )  # fmt: skip
    return {
        "open_questions": open_questions,
        "answered_count": len(hours),
        "median_hours": median_hours,
        "bands": bands,
        "chart": chart,
        "tables": [table],
        "now": timezone.now(),
    }


# --- objection themes ---------------------------------------------------------------------------


def themes_section(
    membership: Membership, program: Program, tree: TeamTree | None = None
) -> dict[str, Any]:
    """The program's objection themes (`insights.themes`, shown by its partial); a sales
    leader sees the themes raised in their teams, counted there."""
    scope = scope_of(membership, tree)
    context = themes_context(program, only_team_ids=scope)
    themes: list[Theme] = context["themes"]
    table = Table(
        "themes",
        file_name(program, "objection-themes"),
        ["Theme", "Texts", "Top terms", "Representative quote", "Sources"],
        [
            [t.label, t.count, ", ".join(t.top_terms), t.quote,
             "; ".join(f"{k} {v}" for k, v in t.sources.items())]
            for t in themes
        ],
    )  # fmt: skip
    chart: Chart | None = None
    if themes:
        chart = bar_chart(
            f"themes-{program.pk}",
            labels=[t.label for t in themes],
            series=[Series("Texts", [t.count for t in themes], color=SKY)],
            label="Objection themes by number of texts: "
            + "; ".join(f"{t.label} {t.count}" for t in themes),
            caption="How many comments, questions, feedback and rejection notes fall in each "
            "theme.",
            horizontal=True,
        )
    return {**context, "scope": scope, "chart": chart, "tables": [table]}
