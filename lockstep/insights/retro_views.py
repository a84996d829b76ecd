"""Learning from programs: a closed program's retrospective (with its lessons), the evidence
across closed programs, and regrouping a program's objection themes on demand."""

from __future__ import annotations

import statistics
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from lockstep.core.charts import Chart, Series, bar_chart
from lockstep.core.csvexport import csv_response
from lockstep.core.errors import DomainError
from lockstep.core.permissions import Perm, can
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.insights import evidence as ev
from lockstep.insights import funnel, services
from lockstep.insights.forms import LessonsForm
from lockstep.insights.retrospective import Point, Retro, visible_retrospectives
from lockstep.orgs.selectors import team_scope
from lockstep.programs.access import access_program
from lockstep.programs.models import Program

CHECKPOINT_COLOURS = {"2w": "#E69F00", "6w": "#56B4E9", "end": "#0072B2"}


def funnel_chart(points: list[Point]) -> Chart | None:
    reached = [p for p in points if p.reached and p.total is not None]
    if not reached:
        return None
    stages = funnel.STAGES
    series = [
        Series(p.label, [p.total.shares.get(s) if p.total else None for s in stages],
               color=CHECKPOINT_COLOURS.get(p.key, ""))
        for p in reached
    ]  # fmt: skip
    summary = "; ".join(
        f"{p.label}: score {p.score if p.score is not None else 'none'}" for p in reached
    )
    return bar_chart(
        "retro-funnel",
        labels=[funnel.STAGE_LABELS[s] for s in stages],
        series=series,
        label=f"Share of audience reps at each sell-in stage. {summary}.",
        caption="The sell-in funnel 2 and 6 weeks after launch and at the end (the table "
        "below holds the numbers).",
        fmt="percent",
        max_value=100,
    )


def comparison_rows(retros: list[Retro]) -> list[dict[str, Any]]:
    rows = []
    for retro in retros:
        points = {p.key: p for p in retro.points}
        speed = retro.speed
        rows.append(
            {
                "retro": retro,
                "program": retro.program,
                "end": retro.end_day,
                "readiness": retro.practices.get("readiness"),
                "score_2w": points["2w"].score if "2w" in points else None,
                "score_6w": points["6w"].score if "6w" in points else None,
                "score_end": points["end"].score if "end" in points else None,
                "attainment": retro.attainment,
                "within_share": speed.get("within_share"),
                "median_seconds": speed.get("median_seconds"),
            }
        )
    return rows


MEASURES = ["readiness", "score_2w", "score_6w", "score_end", "attainment", "within_share",
            "median_seconds"]  # fmt: skip


def medians(rows: list[dict[str, Any]]) -> dict[str, float | None]:
    out: dict[str, float | None] = {}
    for key in MEASURES:
        values = [r[key] for r in rows if r[key] is not None]
        out[key] = float(statistics.median(values)) if values else None
    return out


def _number(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _verdict(target: dict[str, Any]) -> str:
    return "met" if target["on_track"] else "missed" if target["judged"] else "not judged"


def _csv_retro(retro: Retro, table: str, comparison: list[dict[str, Any]]) -> HttpResponseBase:
    name = f"{retro.program.name}-retrospective-{table}"
    if table == "targets":
        header = ["Team", "Metric", "Period", "Target", "Actual", "Expected by the end",
                  "Judgement", "Share of expected (%)"]  # fmt: skip
        rows = [
            [t["team"], t["metric_label"], t["period"], _number(t["value"]),
             _number(t["actual"]), _number(t["expected"]), _verdict(t), t["share"]]
            for t in retro.targets
        ]  # fmt: skip
        return csv_response(name, header, rows)
    if table == "funnel":
        points = [p for p in retro.points if p.reached]
        header = (
            ["Team", "Checkpoint", "Reps"]
            + [funnel.STAGE_LABELS[s] + " (%)" for s in funnel.STAGES]
            + ["Score"]
        )
        out: list[list[Any]] = []
        for p in points:
            if p.total is not None:
                out.append(
                    [
                        "All visible teams",
                        p.label,
                        p.total.reps,
                        *[p.total.shares.get(s) for s in funnel.STAGES],
                        p.total.score,
                    ]
                )
            for row in p.rows:
                out.append(
                    [
                        row["name"],
                        p.label,
                        row["reps"],
                        *[row["shares"].get(s) for s in funnel.STAGES],
                        row["score"],
                    ]
                )
        return csv_response(name, header, out)
    header = ["Program", "End", "Readiness at launch", "Score at 2 weeks", "Score at 6 weeks",
              "Score at the end", "Targets met (%)", "Leads answered within SLA (%)",
              "Median first touch (business seconds)"]  # fmt: skip
    rows = [[r["program"].name, r["end"],
             *[r[k] for k in MEASURES]] for r in comparison]  # fmt: skip
    return csv_response(name, header, rows)


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def retrospective(request: OrgRequest, program_id: int) -> HttpResponseBase:
    membership = request.membership
    program = access_program(membership, program_id)
    record = services.ensure_retrospective(program)
    if record is None:
        return render(request, "insights/retrospective_pending.html", {"program": program})
    scope = team_scope(membership)
    retro = Retro.of(record, scope)
    others = [Retro.of(r, scope) for r in visible_retrospectives(membership)]
    comparison = comparison_rows(others)
    table = request.GET.get("export", "")
    if table in ("targets", "funnel", "comparison"):
        return _csv_retro(retro, table, comparison)
    points = retro.points
    reached = [p for p in points if p.reached and p.total is not None]
    targets = retro.targets
    missed = [t for t in targets if t["judged"] and not t["on_track"]]
    context = {
        "targets_sorted": sorted(targets, key=lambda t: (t["on_track"], not t["judged"])),
        "missed": missed,
        "met": [t for t in targets if t["on_track"]],
        "unjudged": [t for t in targets if not t["judged"]],
        "program": program,
        "retro": retro,
        "record": record,
        "points": points,
        "reached": reached,
        "stages": funnel.STAGES,
        "labels": funnel.STAGE_LABELS,
        "chart": funnel_chart(points),
        "team_rows": team_rows(points),
        "speed": retro.speed,
        "comparison": comparison,
        "medians": medians([r for r in comparison if r["program"].pk != program.pk]),
        "others": sum(1 for r in comparison if r["program"].pk != program.pk),
        "scoped": scope is not None,
        "form": LessonsForm(initial={"lessons": record.lessons})
        if can(membership, Perm.MANAGE_PROGRAMS)
        else None,
    }
    return render(request, "insights/retrospective.html", context)


def team_rows(points: list[Point]) -> list[dict[str, Any]]:
    """Each team's score at each checkpoint, in the funnel's tree order."""
    reached = [p for p in points if p.reached]
    if not reached:
        return []
    last = reached[-1]
    scores = {p.key: {r["team_id"]: r for r in p.rows} for p in reached}
    rows = []
    for row in last.rows:
        rows.append(
            {
                "name": row["name"],
                "depth": row["depth"],
                "reps": row["reps"],
                "cells": [
                    (p.label, (scores[p.key].get(row["team_id"]) or {}).get("score"))
                    for p in reached
                ],
            }
        )
    return rows


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def retrospective_lessons(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    form = LessonsForm(request.POST)
    if not form.is_valid():
        raise DomainError("The lessons are too long (20,000 characters at most).")
    services.save_lessons(
        program=program, acting_user=request.user, lessons=form.cleaned_data["lessons"]
    )
    messages.success(request, "Lessons saved.")
    return redirect("insights:retrospective", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def retrospective_refresh(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    if services.ensure_retrospective(program) is None:
        raise services.LessonsRefused("The retrospective is made when the program closes.")
    services.refresh_retrospective(program=program)
    messages.success(request, "The numbers were measured again.")
    return redirect("insights:retrospective", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def themes_refresh(request: OrgRequest, program_id: int) -> HttpResponse:
    program: Program = access_program(request.membership, program_id)
    services.request_themes(program=program)
    messages.success(request, "The texts are being grouped again: reload in a minute.")
    back = request.POST.get("next", "")
    if back.startswith(f"/o/{request.org.slug}/") and "//" not in back:
        return redirect(back)
    return redirect("programs:detail", org_slug=request.org.slug, program_id=program.pk)


def _csv_evidence(data: dict[str, Any]) -> HttpResponseBase:
    header = ["Program", "End", "Readiness at launch", "Owner's exception",
              "Required training (min)", "Incentive", "Endorsed by an audience leader",
              "Preview round held", "Judged targets", "Targets met (%)"]  # fmt: skip
    rows = [[r.program.name, r.retro.end_day, r.readiness,
             r.exception, r.training_minutes, r.incentive, r.endorsed, r.preview,
             r.judged_targets, r.attainment] for r in data["rows"]]  # fmt: skip
    return csv_response("evidence-across-programs", header, rows)


@org_view(Perm.VIEW_INSIGHTS)
@require_GET
def evidence(request: OrgRequest) -> HttpResponseBase:
    membership = request.membership
    services.ensure_retrospectives(request.org)
    records = visible_retrospectives(membership)
    data = ev.evidence(records, team_scope(membership))
    if request.GET.get("export") == "programs":
        return _csv_evidence(data)
    chart = None
    if data["scatter"] is not None:
        chart = Chart(
            "evidence-scatter",
            label="Each closed program as a point: readiness at launch across, share of "
            "targets met at the end up. The table below lists the same numbers.",
            caption="Readiness at launch and targets met, one point per closed program.",
            config=data["scatter"],
            fmt="percent",
        )
    context = {**data, "chart": chart, "scoped": team_scope(membership) is not None}
    return render(request, "insights/evidence.html", context)
