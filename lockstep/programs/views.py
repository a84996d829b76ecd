"""Program pages: list, calendar, the program page with its six sections, the knowledge-check
builder and the kit's assets. (The rep brief is in `lockstep.briefs`.)"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.forms import Form
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from lockstep.core.charts import ORANGE, Series, bar_chart, target_line
from lockstep.core.csvexport import Table, export_response
from lockstep.core.errors import is_htmx
from lockstep.core.events import Verb
from lockstep.core.params import parse_month, posted_id
from lockstep.core.permissions import Perm, Role, can
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.orgs.models import Membership, Team
from lockstep.orgs.selectors import TeamTree, ancestor_ids, leader_team_ids, team_scope
from lockstep.programs import forms as f
from lockstep.programs import readiness as rd
from lockstep.programs import services
from lockstep.programs.access import (
    access_asset,
    access_check_question,
    access_feedback,
    access_plan_row,
    access_program,
    access_target,
    access_training_item,
)
from lockstep.programs.models import (
    Asset,
    Champion,
    KnowledgeCheck,
    Program,
    ProgramChild,
    ProgramStatus,
    SellInActivity,
    Target,
    TrainingItem,
)
from lockstep.programs.readiness import QUESTION_TITLES
from lockstep.programs.selectors import (
    LOAD_COLUMNS,
    LOAD_MAX_LAUNCHES,
    LOAD_MINUTES_FACTOR,
    audience_team_ids,
    calendar_programs,
    collect_facts,
    in_audience,
    load_table_rows,
    month_starts,
    plan_counts,
    selling_team_ids,
    team_load,
    visible_programs,
    with_plan,
    with_training_minutes,
)

# --- list, calendar, create, edit -----------------------------------------------------


@org_view(Perm.VIEW_PROGRAMS)
@require_GET
def program_list(request: OrgRequest) -> HttpResponse:
    form = f.ProgramFilterForm(request.GET or None, org=request.org)
    programs = visible_programs(request.membership).select_related("owner")
    data = form.cleaned_data if form.is_valid() else {}
    status = data.get("status")
    if status == "archived":
        programs = programs.filter(archived_at__isnull=False)
    else:
        programs = programs.filter(archived_at__isnull=True)
        if status:
            programs = programs.filter(status=status)
    if data.get("kind"):
        programs = programs.filter(kind=data["kind"])
    if data.get("owner"):
        programs = programs.filter(owner=data["owner"].user)
    if data.get("team"):
        team: Team = data["team"]
        ancestors = ancestor_ids(request.org, {team.pk})
        programs = programs.filter(audience__in={team.pk} | ancestors).distinct()
    programs = programs.annotate(audience_count=Count("audience", distinct=True)).order_by(
        "launch_date", "name"
    )
    page = Paginator(programs, 25).get_page(request.GET.get("page"))
    context = {"form": form, "page": page, "query": request.GET.urlencode()}
    if is_htmx(request):
        return render(request, "programs/list.html#program-table", context)
    return render(request, "programs/list.html", context)


CALENDAR_MONTHS = 6


@org_view(Perm.VIEW_CALENDAR)
@require_GET
def launch_calendar(request: OrgRequest) -> HttpResponseBase:
    """The launch calendar per team: what goes live to each team month by month, with the
    required training it must absorb, overloaded months flagged. Everyone sees the teams
    they see (a rep: their own team's row)."""
    org, membership = request.org, request.membership
    tree = TeamTree.load(org)
    today = timezone.localdate(timezone=org.tzinfo)
    first = parse_month(request.GET.get("month", "")) or today.replace(day=1)
    months = month_starts(first, CALENDAR_MONTHS)
    last = months[-1]
    end = last.replace(day=calendar.monthrange(last.year, last.month)[1])
    if membership.role == Role.SALES_LEADER:
        leader_team_ids(membership, tree)
    scope = team_scope(membership)
    visible = set(tree.parents) if scope is None else scope
    chosen = posted_id(request.GET.get("team", ""))
    teams = tree.descendants([chosen]) & visible if chosen in visible else visible
    programs = list(
        with_training_minutes(
            calendar_programs(membership, tree).filter(
                archived_at__isnull=True, launch_date__gte=months[0], launch_date__lte=end
            )
        )
        .prefetch_related("audience")
        .select_related("owner")
        .order_by("launch_date", "name")
    )
    programs = [p for p in programs if tree.descendants(t.pk for t in p.audience.all()) & teams]
    rows = team_load(programs, tree, months, teams, org.max_training_minutes)
    limit = LOAD_MINUTES_FACTOR * org.max_training_minutes
    month_labels = [f"{m:%b %Y}" for m in months]
    tables = [
        Table(
            "load",
            f"launch-load-{first:%Y-%m}",
            [*LOAD_COLUMNS[:1], "Parent team", "Channel", *LOAD_COLUMNS[1:]],
            load_table_rows(rows, month_labels, tree),
        ),  # fmt: skip
        Table(
            "launches",
            f"launches-{first:%Y-%m}",
            ["Launch date", "Program", "Status", "Required training minutes", "Audience"],
            [
                [
                    p.launch_date,
                    p.name,
                    p.get_status_display(),
                    getattr(p, "training_minutes", 0),
                    ", ".join(t.name for t in p.audience.all()),
                ]
                for p in programs
            ],
        ),  # fmt: skip
    ]
    if (csv := export_response(request, tables)) is not None:
        return csv
    chart = None
    if len(rows) == 1:
        row = rows[0]
        chart = bar_chart(
            "load-chart",
            labels=month_labels,
            series=[
                Series("Required training (minutes)", [c.minutes for c in row.cells]),
                target_line(f"Overload above {limit} minutes", [limit] * len(months)),
            ],
            label=f"Required training minutes {row.name} must absorb per month: "
            + "; ".join(
                f"{label} {c.minutes} min in {c.launches} launch{'es' if c.launches != 1 else ''}"
                for label, c in zip(month_labels, row.cells, strict=True)
            ),
            caption=f"Training {row.name} must absorb in each launch month; above the black "
            f"mark ({limit} minutes) the month is flagged.",
            size="short",
        )
    elif rows:
        flagged = [sum(1 for r in rows if r.cells[i].overloaded) for i in range(len(months))]
        chart = bar_chart(
            "load-chart",
            labels=month_labels,
            series=[Series("Teams overloaded", flagged, color=ORANGE)],
            label="Teams flagged as overloaded per month: "
            + "; ".join(f"{m} {n}" for m, n in zip(month_labels, flagged, strict=True)),
            caption="How many of the teams shown must absorb too much in each month.",
            size="short",
        )
    roots = sorted(
        (t for t in visible if tree.parents.get(t) not in visible), key=lambda t: tree.names[t]
    )
    team_choices = [
        (t, "\u00a0\u00a0" * depth + tree.names[t])
        for t, depth in tree.depth_first(roots)
        if t in visible
    ]
    context = {
        "first": first,
        "today": today,
        "months": months,
        "month_labels": month_labels,
        "rows": rows,
        "launches": programs,
        "chart": chart,
        "limit": limit,
        "max_launches": LOAD_MAX_LAUNCHES,
        "team_choices": team_choices if len(visible) > 1 else [],
        "chosen": chosen if chosen in visible else None,
        "prev": _month_step(first, -3),
        "next": _month_step(first, +3),
        "tables": tables,
    }
    return render(request, "programs/calendar.html", context)


def _month_step(first: dt.date, step: int) -> str:
    """ "YYYY-MM" of the month before or after, or "" past the calendar's ends."""
    month = first.year * 12 + first.month - 1 + step
    year, index = divmod(month, 12)
    return f"{year:04d}-{index + 1:02d}" if dt.MINYEAR <= year <= dt.MAXYEAR else ""


@org_view(Perm.MANAGE_PROGRAMS)
@require_http_methods(["GET", "POST"])
def program_create(request: OrgRequest) -> HttpResponse:
    form = f.ProgramForm(
        request.POST or None, org=request.org, initial={"owner": request.membership}
    )
    if request.method == "POST" and form.is_valid():
        program = services.create_program(
            org=request.org, acting_user=request.user, data=form.to_input()
        )
        messages.success(request, f"“{program.name}” created. Now answer the six questions.")
        return redirect("programs:detail", org_slug=request.org.slug, program_id=program.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "programs/form.html", {"form": form}, status=status)


@org_view(Perm.MANAGE_PROGRAMS)
@require_http_methods(["GET", "POST"])
def program_edit(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    services.ensure_editable(program)
    initial = {
        "name": program.name,
        "kind": program.kind,
        "summary": program.summary,
        "owner": Membership.objects.for_org(request.org).filter(user=program.owner).first(),
        "audience": list(program.audience.all()),
        "launch_date": program.launch_date,
        "end_date": program.end_date,
        "campaign_codes": ", ".join(program.campaign_codes),
        "reminder_days": program.reminder_days,
        "training_due_days": program.training_due_days,
    }
    form = f.ProgramForm(request.POST or None, org=request.org, program=program, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_program(program=program, acting_user=request.user, data=form.to_input())
        messages.success(request, "Program saved.")
        return redirect("programs:detail", org_slug=request.org.slug, program_id=program.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "programs/form.html", {"form": form, "program": program}, status=status)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def program_archive(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    archived = program.archived_at is None
    services.set_archived(program=program, acting_user=request.user, archived=archived)
    messages.success(request, f"“{program.name}” {'archived' if archived else 'restored'}.")
    return redirect("programs:detail", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def program_transition(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    form = f.TransitionForm(request.POST)
    url = reverse("programs:detail", args=[request.org.slug, program.pk])
    if not form.is_valid():
        messages.error(request, "That is not a program status.")
        return redirect(url)
    try:
        program = services.transition(
            program=program,
            acting_user=request.user,
            to=form.cleaned_data["to"],
            override_reason=form.cleaned_data["override_reason"],
            acting_role=request.membership.role,
        )
    except services.GateRefused as refused:
        context = detail_context(request, program, gate_refused=refused)
        return render(request, "programs/detail.html", context, status=400)
    messages.success(request, TRANSITION_DONE[program.status].format(name=program.name))
    return redirect(url)


# What a marketer reads after moving a program on ("“Atlas” is in preview: …").
TRANSITION_DONE: dict[str, str] = {
    ProgramStatus.DRAFT: "“{name}” is back in draft.",
    ProgramStatus.PREVIEW: "“{name}” is in preview: the audience's leaders and reps can read "
    "the draft brief and give feedback.",
    ProgramStatus.READY: "“{name}” is ready to launch.",
    ProgramStatus.LIVE: "“{name}” is live: reps of the audience can read its brief.",
    ProgramStatus.CLOSED: "“{name}” is closed.",
}


# --- the program page -------------------------------------------------------------------


def detail_context(request: OrgRequest, program: Program, **extra: Any) -> dict[str, Any]:
    org, membership = request.org, request.membership
    tree = TeamTree.load(org)
    with_plan(program, tree)
    counts = plan_counts(program, tree)  # the plan itself is prefetched (with_plan)
    audience_ids = audience_team_ids(program, tree)
    selling_ids = {t for t in audience_ids if tree.is_leaf(t)}
    readiness = rd.score(collect_facts(program, tree, counts=counts))
    can_manage = can(membership, Perm.MANAGE_PROGRAMS) and program.status != ProgramStatus.CLOSED
    check = counts.check
    training = list(program.training.all())
    context: dict[str, Any] = {
        "program": program,
        "readiness": readiness,
        "states": {q.question.value: q for q in readiness.questions},
        "titles": {q.value: t for q, t in QUESTION_TITLES.items()},
        "threshold": org.readiness_threshold,
        "can_manage": can_manage,
        "can_override": can(membership, Perm.OVERRIDE_GATE),
        "audience": sorted(program.audience.all(), key=lambda t: t.name),
        "selling_count": len(selling_ids),
        "activities": program.activities.all(),
        "endorsements": program.endorsements.all(),
        "champions": program.champions.all(),
        "feedback": program.feedback.all(),
        "assets": program.assets.all(),
        "targets": program.targets.all(),
        "training": training,
        "check": check,
        "today": timezone.localdate(timezone=org.tzinfo),
        "can_endorse": can(membership, Perm.LEAD_TEAMS)
        and bool(leader_team_ids(membership, tree) & audience_ids)
        and program.status != ProgramStatus.CLOSED
        and all(e.leader_id != request.user.pk for e in program.endorsements.all()),
        "can_give_feedback": program.status == ProgramStatus.PREVIEW
        and in_audience(membership, program),
        "led_team_ids": leader_team_ids(membership, tree),
        "next_statuses": sorted(services.TRANSITIONS[program.status]),
        "status_labels": dict(ProgramStatus.choices),
        "training_minutes": sum(t.duration_minutes for t in training if t.required),
        "open_questions": counts.open_questions,
        "oob": False,
    }
    if can_manage:
        people = f.plan_people(org, selling_ids)  # one read for the pickers of people
        champions_form = f.AudienceChampionsForm(
            org=org,
            team_ids=selling_ids,
            tree=tree,
            people=people,
            initial={f"team_{c.team_id}": c.user_id for c in program.champions.all()},
        )
        context.update(
            activity_form=f.ActivityForm(
                org=org, team_ids=audience_ids, tree=tree, people=people.staff
            ),
            wiifm_form=f.WiifmForm(
                initial={
                    "wiifm": program.wiifm,
                    "incentive_kind": program.incentive_kind,
                    "incentive_amount": program.incentive_amount,
                    "incentive_currency": program.incentive_currency,
                    "proof_points": program.proof_points,
                }
            ),
            asset_form=f.AssetForm(org=org, people=people.staff),
            target_form=f.TargetForm(org=org, team_ids=audience_ids, tree=tree),
            training_form=f.TrainingForm(),
            check_form=f.KnowledgeCheckForm(
                initial={
                    "title": check.title,
                    "pass_mark": check.pass_mark,
                    "attempts_allowed": check.attempts_allowed,
                }
                if check
                else None
            ),
            champion_form=f.ChampionForm(
                org=org, team_ids=selling_ids, reps=list(champions_form.members.values())
            ),
            audience_target_form=f.AudienceTargetForm(),
            audience_champions_form=champions_form,
        )
    context.update(extra)
    return context


@org_view(Perm.VIEW_PROGRAMS)
@require_GET
def program_detail(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    return render(request, "programs/detail.html", detail_context(request, program))


def section_response(
    request: OrgRequest, program: Program, section: str, status: int = 200, **forms: Form
) -> HttpResponse:
    """After a section change: htmx gets the section and the score card; others a redirect
    (or, with errors, the whole page with status 400)."""
    if is_htmx(request):
        context = detail_context(request, program, **forms)
        html = render_to_string(f"programs/detail.html#section-{section}", context, request)
        context["oob"] = True
        html += render_to_string("programs/detail.html#scorecard", context, request)
        return HttpResponse(html)
    if status >= 400:
        context = detail_context(request, program, **forms)
        return render(request, "programs/detail.html", context, status=status)
    url = reverse("programs:detail", args=[request.org.slug, program.pk])
    return HttpResponseRedirect(f"{url}#section-{section}")


def editable_program(request: OrgRequest, program_id: int) -> Program:
    program = access_program(request.membership, program_id)
    services.ensure_editable(program)
    return program


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def activity_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    form = f.ActivityForm(request.POST, org=request.org, team_ids=audience_team_ids(program))
    if not form.is_valid():
        return section_response(request, program, "sell_in", 400, activity_form=form)
    services.add_activity(program=program, acting_user=request.user, data=form.to_input())
    return section_response(request, program, "sell_in")


PLAN_ROWS: dict[str, tuple[type[ProgramChild], str]] = {
    "activities": (SellInActivity, "sell_in"),
    "champions": (Champion, "buy_in"),
    "assets": (Asset, "kit"),
    "targets": (Target, "targets"),
    "training": (TrainingItem, "training"),
}


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def child_delete(request: OrgRequest, program_id: int, kind: str, item_id: int) -> HttpResponse:
    if kind not in PLAN_ROWS:
        raise Http404("No such section")
    program = editable_program(request, program_id)
    model, section = PLAN_ROWS[kind]
    obj = access_plan_row(request.membership, program, model, item_id)
    services.remove_plan_row(program=program, acting_user=request.user, obj=obj)
    return section_response(request, program, section)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def wiifm_save(request: OrgRequest, program_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    form = f.WiifmForm(request.POST)
    if not form.is_valid():
        return section_response(request, program, "wiifm", 400, wiifm_form=form)
    services.save_wiifm(program=program, acting_user=request.user, data=form.to_input())
    return section_response(request, program, "wiifm")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def asset_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    form = f.AssetForm(request.POST, request.FILES, org=request.org)
    if not form.is_valid():
        return section_response(request, program, "kit", 400, asset_form=form)
    services.add_asset(program=program, acting_user=request.user, data=form.to_input())
    return section_response(request, program, "kit")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def target_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    form = f.TargetForm(request.POST, org=request.org, team_ids=audience_team_ids(program))
    if not form.is_valid():
        return section_response(request, program, "targets", 400, target_form=form)
    services.add_target(program=program, acting_user=request.user, **form.cleaned_data)
    return section_response(request, program, "targets")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def targets_for_audience(request: OrgRequest, program_id: int) -> HttpResponse:
    """The same target for every audience team, in one submit."""
    program = editable_program(request, program_id)
    form = f.AudienceTargetForm(request.POST)
    if not form.is_valid():
        return section_response(request, program, "targets", 400, audience_target_form=form)
    services.set_audience_targets(program=program, acting_user=request.user, **form.cleaned_data)
    return section_response(request, program, "targets")


@org_view(Perm.LEAD_TEAMS)
@require_POST
def target_respond(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    target = access_target(request.membership, program, item_id)
    form = f.TargetResponseForm(request.POST)
    if not form.is_valid():
        errors = " ".join(str(e) for errs in form.errors.values() for e in errs)
        raise services.ProgramError(errors)
    services.respond_target(
        target=target,
        membership=request.membership,
        status=form.cleaned_data["status"],
        comment=form.cleaned_data["comment"],
    )
    return section_response(request, program, "targets")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def training_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    form = f.TrainingForm(request.POST)
    if not form.is_valid():
        return section_response(request, program, "training", 400, training_form=form)
    services.add_training(program=program, acting_user=request.user, data=form.to_input())
    return section_response(request, program, "training")


@org_view(Perm.MANAGE_PROGRAMS)
@require_http_methods(["GET", "POST"])
def training_edit(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    item = access_training_item(request.membership, program, item_id)
    initial: dict[str, Any] = {f: getattr(item, f) for f in (*services.TRAINING_FIELDS, "kind")}
    if item.starts_at:
        initial["starts_at"] = timezone.localtime(item.starts_at, request.org.tzinfo)
    form = f.TrainingForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.update_training(item=item, acting_user=request.user, data=form.to_input())
        invited = item.kind == "live" and program.status == ProgramStatus.LIVE
        note = " Invited reps get the updated calendar invite." if invited else ""
        messages.success(request, f"“{item.title}” saved.{note}")
        url = reverse("programs:detail", args=[request.org.slug, program.pk])
        return HttpResponseRedirect(f"{url}#section-training")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "program": program, "item": item}
    return render(request, "programs/training_form.html", context, status=status)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def check_save(request: OrgRequest, program_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    form = f.KnowledgeCheckForm(request.POST)
    if not form.is_valid():
        return section_response(request, program, "training", 400, check_form=form)
    services.set_knowledge_check(program=program, acting_user=request.user, **form.cleaned_data)
    return section_response(request, program, "training")


@org_view(Perm.MANAGE_PROGRAMS)
@require_http_methods(["GET", "POST"])
def check_questions(request: OrgRequest, program_id: int) -> HttpResponse:
    """The knowledge check's questions: add (one or several right answers) and remove."""
    program = editable_program(request, program_id)
    check = KnowledgeCheck.objects.filter(program=program).first()
    if check is None:
        messages.error(
            request, "Add the knowledge check first (pass mark, attempts), then its questions."
        )
        return redirect("programs:detail", org_slug=request.org.slug, program_id=program.pk)
    form = f.CheckQuestionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.add_check_question(check=check, acting_user=request.user, data=form.to_input())
        messages.success(request, "Question added.")
        return redirect(
            "programs:check_questions", org_slug=request.org.slug, program_id=program.pk
        )
    questions = check.questions.prefetch_related("choices")
    context = {"program": program, "check": check, "questions": questions, "form": form}
    status = 400 if form.errors else 200
    return render(request, "programs/check_questions.html", context, status=status)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def check_question_delete(request: OrgRequest, program_id: int, question_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    question = access_check_question(request.membership, program, question_id)
    services.delete_check_question(question=question, acting_user=request.user)
    return redirect("programs:check_questions", org_slug=request.org.slug, program_id=program.pk)


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def champion_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    form = f.ChampionForm(request.POST, org=request.org, team_ids=selling_team_ids(program))
    if not form.is_valid():
        return section_response(request, program, "buy_in", 400, champion_form=form)
    services.add_champion(
        program=program, acting_user=request.user, member=form.cleaned_data["member"]
    )
    return section_response(request, program, "buy_in")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def champions_for_audience(request: OrgRequest, program_id: int) -> HttpResponse:
    """Champions for several audience teams in one submit."""
    program = editable_program(request, program_id)
    form = f.AudienceChampionsForm(
        request.POST, org=request.org, team_ids=selling_team_ids(program)
    )
    if not form.is_valid():
        return section_response(request, program, "buy_in", 400, audience_champions_form=form)
    services.add_champions(
        program=program, acting_user=request.user, picks=form.cleaned_data["picks"]
    )
    return section_response(request, program, "buy_in")


@org_view(Perm.LEAD_TEAMS)
@require_POST
def endorse(request: OrgRequest, program_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    form = f.EndorseForm(request.POST)
    comment = form.cleaned_data["comment"] if form.is_valid() else ""
    services.endorse(program=program, membership=request.membership, comment=comment)
    return section_response(request, program, "buy_in")


@org_view(Perm.GIVE_FEEDBACK)
@require_POST
def feedback_add(request: OrgRequest, program_id: int) -> HttpResponse:
    program = access_program(request.membership, program_id)
    form = f.TextForm(request.POST)
    if not form.is_valid():
        raise services.ProgramError("Write your feedback (up to 2000 characters).")
    services.give_feedback(
        program=program, membership=request.membership, body=form.cleaned_data["body"]
    )
    if request.membership.is_rep:
        messages.success(request, "Thank you: marketing sees your feedback.")
        brief = reverse("briefs:brief", args=[request.org.slug, program.pk])
        return redirect(brief + "#feedback")
    return section_response(request, program, "buy_in")


@org_view(Perm.MANAGE_PROGRAMS)
@require_POST
def feedback_respond(request: OrgRequest, program_id: int, item_id: int) -> HttpResponse:
    program = editable_program(request, program_id)
    item = access_feedback(request.membership, program, item_id)
    form = f.FeedbackResponseForm(request.POST)
    if not form.is_valid():
        raise services.ProgramError("Write an answer or mark the feedback as addressed.")
    services.respond_feedback(item=item, acting_user=request.user, **form.cleaned_data)
    return section_response(request, program, "buy_in")


# --- assets -----------------------------------------------------------------------------


@org_view(Perm.VIEW_KIT)
@require_GET
def asset_open(request: OrgRequest, program_id: int, item_id: int) -> HttpResponseBase:
    """Download an uploaded file (always as an attachment) or follow a link; recorded."""
    program = access_program(request.membership, program_id)
    if request.membership.is_rep and program.status == ProgramStatus.PREVIEW:
        raise Http404("The kit opens at launch")
    asset = access_asset(request.membership, program, item_id)
    if asset.url:
        services.record_asset_use(asset=asset, user=request.user, verb=Verb.ASSET_VIEWED)
        return HttpResponseRedirect(asset.url)
    try:
        handle = asset.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage") from exc
    services.record_asset_use(asset=asset, user=request.user, verb=Verb.ASSET_DOWNLOADED)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=asset.original_name or "download",
        content_type=asset.content_type or "application/octet-stream",
    )
