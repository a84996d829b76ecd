"""The weekly digest: for each sales leader (and each marketer who asks for it), what changed
this week in the live programs of the teams they see, who is behind on what, what waits for
them and what to do.

Schedule: `send_weekly_digests(now)` is a periodic job (`ops.scheduler.PERIODIC_JOBS`, every
15 minutes). A digest is due from Monday 07:00 in the organization's time zone and for one
day after (a worker that was down catches up on Monday; a digest that would arrive on
Wednesday is skipped rather than sent late). Each is keyed per organization, person and
week, so it is sent once whatever runs the job again. It arrives in the app (the bell) and,
for people who take notifications by e-mail, as an HTML and text e-mail with a one-click
unsubscribe link (RFC 8058 headers too).

Who gets it: sales leaders unless they unsubscribed; marketers once they subscribe
(`DigestSubscription`). A digest with nothing in it is not sent."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core import signing
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from lockstep.core.models import Notification
from lockstep.core.permissions import PERMISSIONS, Perm, Role
from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.feedback.models import RepQuestion
from lockstep.insights import funnel
from lockstep.insights.models import DigestIssue, DigestSubscription
from lockstep.orgs.models import Membership, Organization
from lockstep.orgs.notify import absolute_url, notify
from lockstep.orgs.selectors import TeamTree, leader_team_ids, team_scope
from lockstep.programs.models import Program, ProgramStatus, Target, TargetStatus
from lockstep.programs.selectors import visible_programs
from lockstep.results.metrics import with_answer_time
from lockstep.results.models import Lead, LeadStatus

SEND_WEEKDAY = 0  # Monday
SEND_AT = dt.time(7, 0)
GRACE = dt.timedelta(days=1)
WEEK = dt.timedelta(days=7)
COMING_DAYS = 35  # "what your teams must absorb next month"
BEHIND_SCORE = 50  # a team under this Lockstep score is behind
SALT = "lockstep.insights.digest.unsubscribe"
KIND = "digest.weekly"


# --- subscriptions and the signed unsubscribe link --------------------------------------


def default_subscribed(role: str) -> bool:
    return role == Role.SALES_LEADER


def is_subscribed(membership: Membership) -> bool:
    if membership.role not in PERMISSIONS[Perm.RECEIVE_DIGEST]:
        return False
    try:
        return membership.digest_subscription.subscribed
    except DigestSubscription.DoesNotExist:
        return default_subscribed(membership.role)


def unsubscribe_token(membership: Membership) -> str:
    return signing.dumps(membership.pk, salt=SALT, compress=True)


def membership_of_token(token: str) -> Membership | None:
    """The membership a link was made for, or None for a forged or stale link."""
    try:
        pk = signing.loads(token, salt=SALT)
    except signing.BadSignature:
        return None
    if not isinstance(pk, int):
        return None
    return Membership.objects.select_related("org", "user").filter(pk=pk).first()


def unsubscribe_url(membership: Membership) -> str:
    return absolute_url(reverse("digest_unsubscribe", args=[unsubscribe_token(membership)]))


# --- the schedule ---------------------------------------------------------------------------


def week_start(now: dt.datetime, org: Organization) -> dt.datetime:
    """The latest Monday 07:00 (organization time) at or before `now`."""
    local = timezone.localtime(now, org.tzinfo)
    monday = local.date() - dt.timedelta(days=(local.weekday() - SEND_WEEKDAY) % 7)
    start = dt.datetime.combine(monday, SEND_AT, tzinfo=org.tzinfo)
    return start - WEEK if local < start else start


def due_week(now: dt.datetime, org: Organization) -> dt.datetime | None:
    """The week whose digest is due now, or None outside the sending window."""
    start = week_start(now, org)
    return start if now - start < GRACE else None


def digest_key(org: Organization, start: dt.datetime) -> str:
    return f"digest:{org.pk}:{start.date().isoformat()}"


def next_send(now: dt.datetime, org: Organization) -> dt.datetime:
    return week_start(now, org) + WEEK


# --- what a digest says ---------------------------------------------------------------------


@dataclass
class TeamLine:
    name: str
    score: int | None
    missing: str  # the weakest stage, "Informed 40%"


@dataclass
class ProgramLine:
    program: Program
    score: int | None
    before: int | None  # a week ago
    weakest: str  # "Understood 38%"
    behind: list[TeamLine] = field(default_factory=list)
    targets_behind: list[str] = field(default_factory=list)
    late_leads: int = 0
    open_questions: int = 0
    url: str = ""

    @property
    def change(self) -> int | None:
        if self.score is None or self.before is None:
            return None
        return self.score - self.before


@dataclass
class Item:
    text: str
    url: str


@dataclass
class Digest:
    membership: Membership
    week: dt.datetime
    programs: list[ProgramLine]
    waiting: list[Item]
    coming: list[Item]
    todo: list[str]
    scope_label: str

    @property
    def empty(self) -> bool:
        return not (self.programs or self.waiting or self.coming)

    @property
    def subject(self) -> str:
        parts = []
        if self.waiting:
            parts.append(f"{len(self.waiting)} waiting for you")
        behind = sum(len(p.behind) + len(p.targets_behind) for p in self.programs)
        if behind:
            parts.append(f"{behind} behind")
        tail = ": " + ", ".join(parts) if parts else ""
        return f"Your week in Lockstep, {self.week:%-d %B}{tail}"


def _share(value: float | None) -> str:
    return "no data" if value is None else f"{value:.0f}%"


def _weakest(row: funnel.Row) -> str:
    shares = [(s, v) for s, v in row.shares.items() if v is not None and s != "delivering"]
    if not shares:
        return ""
    stage, value = min(shares, key=lambda sv: (sv[1], funnel.STAGES.index(sv[0])))
    return f"{funnel.STAGE_LABELS[stage]} {_share(value)}"


@dataclass
class ProgramWeek:
    """One live program measured now and a week ago, once for every recipient."""

    program: Program
    rows: list[funnel.Row]
    before: list[funnel.Row]
    ctx: funnel.FunnelContext
    late_by_team: dict[int, int]
    open_questions: int

    def total(self, rows: list[funnel.Row], scope: set[int] | None) -> funnel.Row:
        tree = self.ctx.tree
        total = funnel.Row(team=None)
        for row in rows:
            assert row.team is not None  # noqa: S101 — team rows only
            visible = scope is None or row.team.pk in scope
            parent_visible = scope is None or tree.parents.get(row.team.pk) in scope
            if visible and (row.depth == 0 if scope is None else not parent_visible):
                total.add(row)
        return funnel.finish_row(total, self.ctx.applicable, self.ctx.facts.anonymous)


def _late_by_team(program: Program, now: dt.datetime) -> dict[int, int]:
    """Leads whose first-touch SLA ran out this week unanswered in time, per rep's team."""
    team = Subquery(
        Membership.objects.filter(org=program.org, user_id=OuterRef("rep_id")).values("team_id")[:1]
    )
    late = Q(answered_at__gt=F("sla_due_at")) | Q(answered_at__isnull=True, status=LeadStatus.NEW)
    rows = (
        with_answer_time(Lead.objects.filter(program=program, rep__isnull=False))
        .filter(sla_due_at__gte=now - WEEK, sla_due_at__lt=now)
        .filter(late)
        .annotate(team=team)
        .values("team")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["team"]: r["n"] for r in rows if r["team"] is not None}


def measure_week(program: Program, now: dt.datetime) -> ProgramWeek:
    ctx = funnel.load(program, now=now)
    rows = funnel.program_funnel(program, ctx=ctx)["rows"]
    before = funnel.program_funnel(program, ctx=funnel.load(program, now=now - WEEK))["rows"]
    questions = RepQuestion.objects.filter(program=program, answered_at__isnull=True).count()
    return ProgramWeek(program, rows, before, ctx, _late_by_team(program, now), questions)


def _program_line(week: ProgramWeek, scope: set[int] | None, org: Organization) -> ProgramLine:
    in_scope = [r for r in week.rows if r.team and (scope is None or r.team.pk in scope)]
    total = week.total(week.rows, scope)
    before = week.total(week.before, scope)
    behind = [
        TeamLine(r.label, r.score, _weakest(r))
        for r in in_scope
        if r.team and week.ctx.tree.is_leaf(r.team.pk) and r.score is not None
        and r.score < BEHIND_SCORE
    ]  # fmt: skip
    behind.sort(key=lambda t: (t.score or 0, t.name))
    targets = [
        f"{p.target.team.name}: {_amount(p.actual)} of {_amount(p.expected)} "
        f"{p.target.get_metric_display().lower()} expected by now"
        for p in week.ctx.progress
        if p.judged and not p.on_track and (scope is None or p.target.team_id in scope)
    ]
    late = sum(n for t, n in week.late_by_team.items() if scope is None or t in scope)
    url = reverse("insights:scorecard", args=[org.slug, week.program.pk])
    return ProgramLine(
        program=week.program, score=total.score, before=before.score, weakest=_weakest(total),
        behind=behind[:5], targets_behind=targets[:5], late_leads=late,
        open_questions=week.open_questions if scope is None else 0, url=absolute_url(url),
    )  # fmt: skip


def _amount(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,.2f}"


def _waiting(membership: Membership) -> list[Item]:
    """What the member is asked to do in the app: endorse a program in preview aimed at
    their teams, acknowledge their teams' targets (leaders)."""
    org = membership.org
    items: list[Item] = []
    if membership.role != Role.SALES_LEADER:
        return items
    previews = (
        visible_programs(membership)
        .filter(status=ProgramStatus.PREVIEW)
        .exclude(endorsements__leader=membership.user)
        .order_by("launch_date", "name")
    )
    for program in previews:
        url = absolute_url(reverse("programs:detail", args=[org.slug, program.pk]))
        items.append(Item(f"{program.name} is in preview: read it, give feedback and "
                          f"endorse it if it is right for your teams", url))  # fmt: skip
    pending = (
        Target.objects.for_org(org)
        .filter(team_id__in=leader_team_ids(membership), status=TargetStatus.PENDING)
        .exclude(program__status=ProgramStatus.CLOSED)
        .select_related("program", "team")
        .order_by("program__launch_date", "team__name")
    )
    for target in pending:
        url = absolute_url(reverse("programs:detail", args=[org.slug, target.program_id]))
        items.append(Item(f"Acknowledge (or dispute) the target of {target.team.name} for "
                          f"{target.program.name}: {_amount(target.value)} "
                          f"{target.get_metric_display().lower()}", url))  # fmt: skip
    return items


def _coming(membership: Membership, now: dt.datetime) -> list[Item]:
    today = timezone.localdate(now, membership.org.tzinfo)
    upcoming = (
        visible_programs(membership)
        .filter(
            status__in=[ProgramStatus.PREVIEW, ProgramStatus.READY],
            launch_date__gte=today,
            launch_date__lte=today + dt.timedelta(days=COMING_DAYS),
        )
        .order_by("launch_date", "name")
    )
    return [
        Item(
            f"{p.name} launches on {p.launch_date:%-d %B}" if p.launch_date else p.name,
            absolute_url(reverse("programs:detail", args=[membership.org.slug, p.pk])),
        )
        for p in upcoming
    ]


def _todo(lines: list[ProgramLine], waiting: list[Item], leader: bool) -> list[str]:
    todo = []
    if waiting:
        todo.append(f"Clear what waits for you ({len(waiting)}): endorsements and targets "
                    "are part of the launch gate.")  # fmt: skip
    for line in lines:
        if line.behind:
            names = ", ".join(t.name for t in line.behind[:3])
            who = "your teams" if leader else "the teams"
            todo.append(f"{line.program.name}: talk to {names} — the weakest stage is where "
                        f"{who} lose the sale ({line.behind[0].missing}).")  # fmt: skip
        if line.late_leads:
            leads = counted(line.late_leads, "lead", "leads")
            todo.append(f"{line.program.name}: {leads} waited past the first-touch SLA this "
                        "week — check who is overloaded.")  # fmt: skip
        if line.open_questions:
            questions = counted(line.open_questions, "open rep question", "open rep questions")
            todo.append(f"{line.program.name}: answer the {questions} (or add them to the "
                        "FAQ).")  # fmt: skip
    return todo


def build_digest(
    membership: Membership,
    now: dt.datetime,
    weeks: list[ProgramWeek] | None = None,
) -> Digest:
    """The digest of one member as of `now` (`weeks`: the live programs measured once for
    every recipient; measured here when not given)."""
    org = membership.org
    scope = team_scope(membership)
    visible = set(visible_programs(membership).values_list("pk", flat=True))
    if weeks is None:
        weeks = measure_org(org, now)
    lines = []
    for week in weeks:
        if week.program.pk not in visible:
            continue
        if scope is not None and not any(r.team and r.team.pk in scope for r in week.rows):
            continue
        lines.append(_program_line(week, scope, org))
    waiting = _waiting(membership)
    leader = membership.role == Role.SALES_LEADER
    label = "your teams" if leader else "every team"
    return Digest(
        membership=membership, week=week_start(now, org), programs=lines, waiting=waiting,
        coming=_coming(membership, now), todo=_todo(lines, waiting, leader), scope_label=label,
    )  # fmt: skip


def measure_org(org: Organization, now: dt.datetime) -> list[ProgramWeek]:
    live = Program.objects.for_org(org).filter(status=ProgramStatus.LIVE).order_by("name")
    return [measure_week(program, now) for program in live.select_related("org")]


def render(digest: Digest) -> dict[str, str]:
    membership = digest.membership
    context: dict[str, Any] = {
        "digest": digest,
        "org": membership.org,
        "person": membership.user,
        "page_url": absolute_url(reverse("insights:digest", args=[membership.org.slug])),
        "unsubscribe_url": unsubscribe_url(membership),
    }
    return {
        "text": render_to_string("insights/email/digest.txt", context),
        "html": render_to_string("insights/email/digest.html", context),
    }


def send_digest(digest: Digest, start: dt.datetime) -> bool:
    """Notify (and e-mail) one digest; False when this week's was already sent."""
    membership = digest.membership
    parts = render(digest)
    unsubscribe = unsubscribe_url(membership)
    summary = f"{len(digest.programs)} live programs"
    if digest.waiting:
        summary += f", {len(digest.waiting)} things waiting for you"
    note = notify(
        org=membership.org, user=membership.user, kind=KIND, title=digest.subject,
        body=summary + ".", url=reverse("insights:digest", args=[membership.org.slug]),
        key=digest_key(membership.org, start), html=parts["html"], email_text=parts["text"],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )  # fmt: skip
    if note is None:
        return False
    DigestIssue.objects.get_or_create(
        membership=membership, week=start.date(),
        defaults={"org": membership.org, "subject": digest.subject,
                  "body_html": render_to_string("insights/_digest_body.html",
                                                {"digest": digest, "email": False})},
    )  # fmt: skip
    return True


def latest_issue(membership: Membership) -> DigestIssue | None:
    return DigestIssue.objects.filter(membership=membership).first()


def recipients(org: Organization, key: str) -> list[Membership]:
    """Members who get this week's digest and have not had it yet."""
    done = Notification.objects.for_org(org).filter(key=key).values("user_id")
    members = (
        Membership.objects.for_org(org)
        .filter(role__in=list(PERMISSIONS[Perm.RECEIVE_DIGEST]))
        .exclude(user_id__in=done)
        .select_related("user", "org", "digest_subscription")
        .order_by("id")
    )
    return [m for m in members if is_subscribed(m)]


def send_weekly_digests(now: dt.datetime | None = None) -> int:
    """The periodic job: every organization whose digest is due gets it once per person."""
    now = now or timezone.now()
    sent = 0
    for org in Organization.objects.all():
        start = due_week(now, org)
        if start is None:
            continue
        members = recipients(org, digest_key(org, start))
        if not members:
            continue
        weeks = measure_org(org, now)
        tree = TeamTree.load(org)
        for membership in members:
            leader_team_ids(membership, tree)  # cached on the membership for this run
            digest = build_digest(membership, now, weeks)
            if not digest.empty:
                sent += send_digest(digest, start)
    return sent
