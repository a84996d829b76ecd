"""Evidence across programs: how the sell-in practices of closed programs sit next to what
they delivered, shown honestly.

For every closed program with a retrospective: its practices (readiness at launch, required
training minutes, an incentive or not, endorsed by an audience leader or not, a preview
round held or not) and its attainment (the share of its judged targets on track at the end).
Below `MIN_PROGRAMS` measured programs the page shows the programs but no statistics. Above
it: how many programs had each practice, the median attainment with and without it (a group
of fewer than `MIN_GROUP` programs gets no median), and a scatter of readiness against
attainment. These are associations among a few programs that differ in many ways, never
causes: the page says so and makes no claim."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from typing import Any

from lockstep.core.charts import PALETTE
from lockstep.insights.models import Retrospective
from lockstep.insights.retrospective import Retro

MIN_PROGRAMS = 5  # measured closed programs needed before any statistic is shown
MIN_GROUP = 2  # programs a group needs for its median to be shown
# Solid markers only (a thin cross in a light colour disappears on a scatter).
MARKERS = ["circle", "rect", "triangle", "rectRot", "rectRounded"]


@dataclass(frozen=True)
class ProgramEvidence:
    retro: Retro
    readiness: int | None
    training_minutes: int
    incentive: bool
    endorsed: bool
    preview: bool
    exception: bool
    attainment: int | None  # None: no judged target
    judged_targets: int

    @property
    def program(self) -> Any:
        return self.retro.program


@dataclass(frozen=True)
class Group:
    label: str
    programs: int
    median: float | None  # None below MIN_GROUP programs


@dataclass(frozen=True)
class Comparison:
    """One practice: attainment of the programs with it next to those without."""

    practice: str
    question: str
    with_: Group
    without: Group

    @property
    def gap(self) -> float | None:
        if self.with_.median is None or self.without.median is None:
            return None
        return self.with_.median - self.without.median


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if len(values) >= MIN_GROUP else None


def _group(label: str, rows: list[ProgramEvidence]) -> Group:
    return Group(
        label, len(rows), _median([r.attainment for r in rows if r.attainment is not None])
    )


def evidence_rows(records: list[Retrospective], scope: set[int] | None) -> list[ProgramEvidence]:
    rows = []
    for record in records:
        retro = Retro.of(record, scope)
        p = retro.practices
        rows.append(
            ProgramEvidence(
                retro=retro,
                readiness=p.get("readiness"),
                training_minutes=int(p.get("training_minutes") or 0),
                incentive=bool(p.get("incentive")),
                endorsed=bool(p.get("endorsements")),
                preview=bool(p.get("preview")),
                exception=bool(p.get("exception")),
                attainment=retro.attainment,
                judged_targets=retro.judged_targets,
            )
        )
    return rows


def comparisons(rows: list[ProgramEvidence]) -> list[Comparison]:
    """Medians of attainment with and without each practice (measured programs only)."""
    measured = [r for r in rows if r.attainment is not None]
    minutes = [r.training_minutes for r in measured]
    cut = statistics.median(minutes) if minutes else 0
    readiness = [r.readiness for r in measured if r.readiness is not None]
    ready_cut = statistics.median(readiness) if readiness else 0

    def split(name: str, question: str, test: Any, yes: str, no: str) -> Comparison:
        with_ = [r for r in measured if test(r)]
        without = [r for r in measured if not test(r)]
        return Comparison(name, question, _group(yes, with_), _group(no, without))

    return [
        split("Readiness at launch", "Was the plan more complete than most at launch?",
              lambda r: r.readiness is not None and r.readiness >= ready_cut,
              f"{ready_cut:g} or more", f"below {ready_cut:g}"),
        split("Preview round", "Did sales see the program in a preview round?",
              lambda r: r.preview, "held", "not held"),
        split("Endorsement", "Did a leader of an audience team endorse it?",
              lambda r: r.endorsed, "endorsed", "not endorsed"),
        split("Incentive", "Did the WIIFM include an incentive (SPIFF, accelerator…)?",
              lambda r: r.incentive, "with an incentive", "without"),
        split("Training time", "Was the required training short?",
              lambda r: r.training_minutes <= cut,
              f"{cut:g} minutes or less", f"more than {cut:g} minutes"),
    ]  # fmt: skip


def scatter_config(rows: list[ProgramEvidence]) -> dict[str, Any]:
    """Chart.js: readiness at launch (x) against attainment (y), one point per program, each
    its own series (a colour and a marker of its own, named in the legend and tooltip)."""
    measured = [r for r in rows if r.readiness is not None and r.attainment is not None]
    datasets = [
        {
            "label": r.program.name,
            "data": [{"x": r.readiness, "y": r.attainment}],
            "backgroundColor": PALETTE[i % len(PALETTE)],
            "borderColor": PALETTE[i % len(PALETTE)],
            "pointStyle": MARKERS[i % len(MARKERS)],
            "borderWidth": 2,
            "pointRadius": 7,
            "pointHoverRadius": 9,
            "clip": False,  # a point at 100 % is drawn whole
        }
        for i, r in enumerate(measured)
    ]
    lowest = min((r.readiness or 0 for r in measured), default=0)
    return {
        "type": "scatter",
        "data": {"datasets": datasets},
        "options": {
            "layout": {"padding": {"top": 10, "right": 14}},
            "scales": {
                "x": {"title": {"display": True, "text": "Readiness at launch (0–100)"},
                      "min": max(0, (lowest - 10) // 10 * 10), "max": 100},
                "y": {"title": {"display": True, "text": "Targets met at the end"},
                      "min": 0, "max": 100},
            },
            "plugins": {"legend": {"display": True, "position": "bottom"}},
        },
    }  # fmt: skip


def evidence(records: list[Retrospective], scope: set[int] | None) -> dict[str, Any]:
    rows = evidence_rows(records, scope)
    measured = [r for r in rows if r.attainment is not None]
    enough = len(measured) >= MIN_PROGRAMS
    return {
        "rows": rows,
        "measured": len(measured),
        "enough": enough,
        "min_programs": MIN_PROGRAMS,
        "min_group": MIN_GROUP,
        "comparisons": comparisons(rows) if enough else [],
        "median_attainment": _median([r.attainment for r in measured if r.attainment is not None])
        if enough
        else None,
        "scatter": scatter_config(rows) if enough else None,
    }
