"""The main pages make as many queries with a lot of data as with a little.

Each page is measured on a small organization (the `world`, stocked with one live program
and one row of each part of its plan: tests.factories.Stock), then the organization grows
(`grow`: 10 more teams, 40 more reps, 5 more targets, 5 more live programs, 50 more leads
with touches and opportunities, and brief, kit, training, check and pulse events for every
new rep) and the page must make at most SLACK more queries than before.

A page whose count grows with the data goes in N_PLUS_ONE: its test is then marked
`xfail(strict=True)` with the reason, documenting the N+1 until it is fixed (and failing as
soon as it is, so the entry gets removed). Every page must also stay within BUDGET (15)
with the large data (a page allowed more would go in OVER_BUDGET with why; none is). Measured
counts (small → large, SQLite; the growth is the target actuals: one query per kind of
target — leads, meetings, opportunities — the program has):

    org home, owner       12 → 14       scorecard             11 → 13
    org home, marketer    10 → 12       scorecard, leader     12 → 14
    org home, viewer      10 → 12       section: readiness    15 → 15 (14 as htmx loads it)
    org home, leader      12 → 14       section: speed-to-lead 9 → 9
    org home, rep         14 → 14       section: rejections    8 → 8
    org home, partner rep 13 → 13       section: kit          10 → 10
    funnel                11 → 13       section: pulse         8 → 8
    funnel, leader        12 → 14       section: questions     8 → 8
    team drill-down       13 → 15       section: themes        7 → 7
    opportunities         10 → 13       calendar, owner        7 → 7
    opportunities, leader 11 → 14       calendar, leader       8 → 8
    lead page             11 → 11       calendar, rep          7 → 7
    pulse results          9 → 9        questions inbox       10 → 10
    program list          11 → 11       my leads, rep         10 → 10
    program detail        15 → 15       my leads, leader      12 → 12
    rep brief             15 → 15       program results       13 → 15
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from lockstep.core.events import Verb
from lockstep.core.permissions import Role
from lockstep.orgs.models import Channel, Team
from lockstep.programs.models import TargetMetric, TargetPeriod
from lockstep.results.models import LeadStatus, Outcome, TouchKind
from tests.factories import (
    ActivityEventFactory,
    AssetFactory,
    AuditLogFactory,
    ChampionFactory,
    CheckAttemptFactory,
    InvitationFactory,
    KnowledgeCheckFactory,
    LeadFactory,
    LeadTouchFactory,
    MembershipFactory,
    OpportunityFactory,
    PreviewFeedbackFactory,
    ProgramFactory,
    PulseResponseFactory,
    RepQuestionFactory,
    SellInActivityFactory,
    Stock,
    TargetFactory,
    TeamFactory,
    TrainingCompletionFactory,
    TrainingItemFactory,
)

# What a page may add when the data grows, per page and never per row: a branch that runs
# only once a list is non-empty (e.g. the median of first-touch times makes its second
# query only when some lead was touched; a "nothing yet" message saves a query), and the
# paginator's slice once there is more than one page. Every constant page measures +0
# today; 3 leaves room for such branches without hiding a per-row query (the smallest
# growth below adds 5 of every kind of row).
SLACK = 3


@dataclass(frozen=True)
class Page:
    id: str
    who: str  # the World attribute of the person asking
    route: str
    program: bool = False  # the route takes the stock program's id
    then: str = ""  # a Stock attribute whose id the route takes after the program's
    htmx: bool = False  # asked as htmx does (a scorecard section loading into its page)


PAGES = [
    Page("home_owner", "owner", "insights:home"),
    Page("home_leader", "leader", "insights:home"),
    Page("home_rep", "rep", "insights:home"),
    Page("program_list", "owner", "programs:list"),
    Page("program_detail", "owner", "programs:detail", program=True),
    Page("rep_brief", "rep", "briefs:brief", program=True),
    Page("funnel", "owner", "insights:funnel", program=True),
    Page("program_results", "owner", "results:program", program=True),
    Page("my_leads_rep", "rep", "results:my_leads"),
    Page("my_leads_leader", "leader", "results:my_leads"),
    Page("members", "owner", "orgs:members"),
    Page("teams", "owner", "orgs:teams"),
    # issue 11, the pages people look at: the homes, the scorecard and its sections (also
    # as htmx loads them), opportunities, a lead, the calendar, the pulse and the inbox
    Page("home_marketer", "marketer", "insights:home"),
    Page("home_viewer", "viewer", "insights:home"),
    Page("home_partner", "partner", "insights:home"),
    Page("scorecard", "owner", "insights:scorecard", program=True),
    Page("scorecard_leader", "leader", "insights:scorecard", program=True),
    Page("sc_readiness", "owner", "insights:sc_readiness", program=True),
    Page("sc_readiness_htmx", "owner", "insights:sc_readiness", program=True, htmx=True),
    Page("sc_sla", "owner", "insights:sc_sla", program=True),
    Page("sc_sla_leader", "leader", "insights:sc_sla", program=True, htmx=True),
    Page("sc_rejections", "owner", "insights:sc_rejections", program=True),
    Page("sc_kit", "owner", "insights:sc_kit", program=True),
    Page("sc_kit_leader", "leader", "insights:sc_kit", program=True, htmx=True),
    Page("sc_pulse", "owner", "insights:sc_pulse", program=True),
    Page("sc_pulse_leader", "leader", "insights:sc_pulse", program=True, htmx=True),
    Page("sc_questions", "owner", "insights:sc_questions", program=True),
    Page("sc_questions_leader", "leader", "insights:sc_questions", program=True, htmx=True),
    Page("sc_themes", "owner", "insights:sc_themes", program=True),
    Page("funnel_leader", "leader", "insights:funnel", program=True),
    Page("team_drilldown", "owner", "insights:team", program=True, then="team"),
    Page("opportunities", "owner", "insights:opportunities", program=True),
    Page("opportunities_leader", "leader", "insights:opportunities", program=True),
    Page("lead_owner", "owner", "insights:lead", then="lead"),
    Page("lead_rep", "rep", "insights:lead", then="lead"),
    Page("calendar_owner", "owner", "programs:calendar"),
    Page("calendar_leader", "leader", "programs:calendar"),
    Page("calendar_rep", "rep", "programs:calendar"),
    Page("pulse_results", "owner", "feedback:pulse", program=True),
    Page("inbox", "marketer", "feedback:inbox", program=True),
    Page("evidence", "viewer", "insights:evidence"),
    Page("digest_leader", "leader", "insights:digest"),
    Page("retrospective_pending", "owner", "insights:retrospective", program=True),
]

# page id → why its count grows (see the module docstring). Empty since commit eeb2347
# ("constant-query funnel, results and rep home"); before it, with the same data:
# org home for a rep 14 → 39 (briefs.selectors.rep_programs: 3 to 5 queries per live
# program), funnel 29 → 69 (results.metrics.targets_vs_actuals: 3 queries per target,
# reached twice through delivering_team_ids) and program results 25 → 58 (per selling
# team: has it leads, then its SLA summary and median; plus the targets).
N_PLUS_ONE: dict[str, str] = {}

# The budget of every page in steady state (the second request), with the large data:
# issue 11 asks for 15 at most. Pages over it, with their count (large) and why.
BUDGET = 15
OVER_BUDGET: dict[str, tuple[int, str]] = {}


def url_of(page: Page, stock: Stock) -> str:
    args: list[object] = [stock.org.slug]
    if page.program:
        args.append(stock.program.pk)
    if page.then:
        args.append(getattr(stock, page.then).pk)
    return reverse(page.route, args=args)


def get(client: Client, page: Page, url: str) -> int:
    headers = {"HX-Request": "true"} if page.htmx else {}
    return client.get(url, headers=headers).status_code


def queries_of(client: Client, url: str, page: Page | None = None) -> int:
    """The queries of one GET, after a first one (which may record the visit, create the
    default rejection reasons… once)."""
    page = page or Page("", "", "")
    assert get(client, page, url) == 200
    with CaptureQueriesContext(connection) as context:
        assert get(client, page, url) == 200
    return len(context)


def grow(stock: Stock) -> None:
    """10 more teams in the region (four of them a level deeper), 40 more reps in them, 5
    more targets (one per other metric, on the deeper teams), 5 more live programs for the
    region, 50 more leads (half touched, some with opportunities), events, completions,
    pulses and passed checks for every new rep, and a few more of everything else."""
    world, program = stock.world, stock.program
    org = world.org
    teams: list[Team] = []
    for i in range(10):  # the last four one level deeper, under the first four
        parent = teams[i - 6] if i >= 6 else world.region
        channel = Channel.PARTNER if i % 3 == 0 else Channel.DIRECT
        teams.append(TeamFactory(org=org, parent=parent, name=f"Squad {i}", channel=channel))
    reps = [
        MembershipFactory(
            org=org,
            team=teams[i % 10],
            role=Role.PARTNER_REP if teams[i % 10].channel == Channel.PARTNER else Role.REP,
        ).user
        for i in range(40)
    ]
    metrics = [m for m in TargetMetric if m != TargetMetric.MEETINGS]  # the stock's
    for team, metric in zip(teams[5:], metrics, strict=True):
        TargetFactory(program=program, team=team, metric=metric, period=TargetPeriod.MONTH)
    for _ in range(5):
        other = ProgramFactory(org=org, live=True, audience=[world.region], owner=world.marketer)
        TrainingItemFactory(program=other)
        KnowledgeCheckFactory(program=other)
        AssetFactory(program=other, partner_visible=True)
        TargetFactory(program=other, team=world.team)
        LeadFactory(program=other, rep=world.rep)
    sellers = [world.rep, world.partner, *reps]
    statuses = [LeadStatus.NEW, LeadStatus.WORKING, LeadStatus.ACCEPTED, LeadStatus.REJECTED]
    for i in range(50):
        rep = sellers[i % len(sellers)]
        lead = LeadFactory(program=program, rep=rep, status=statuses[i % 4])
        if i % 2:
            LeadTouchFactory(
                lead=lead, rep=rep, kind=TouchKind.MEETING if i % 3 else TouchKind.CALL
            )
        if i % 5 == 0:
            outcome = Outcome.WON if i % 10 == 0 else Outcome.OPEN
            OpportunityFactory(program=program, lead=lead, owner=rep, outcome=outcome)
    for rep in reps:
        for verb in (Verb.BRIEF_OPENED, Verb.BRIEF_ACKNOWLEDGED, Verb.ASSET_VIEWED):
            ActivityEventFactory(program=program, actor=rep, verb=verb)
        TrainingCompletionFactory(item=stock.module, user=rep)
        PulseResponseFactory(round=stock.pulse_round, user=rep)
        CheckAttemptFactory(knowledge_check=stock.check, user=rep, score=100, passed=True)
    for i in range(5):
        InvitationFactory(org=org)
        AuditLogFactory(org=org, actor=world.owner)
        RepQuestionFactory(program=program, asked_by=reps[i])
        PreviewFeedbackFactory(program=program, author=reps[i])
        SellInActivityFactory(program=program, teams=[teams[i]])
        ChampionFactory(program=program, team=teams[i], user=reps[i])
        MembershipFactory(org=org, role=Role.SALES_LEADER, led_teams=[teams[i]])


@pytest.mark.parametrize(
    "page",
    [
        pytest.param(
            page,
            id=page.id,
            marks=[pytest.mark.xfail(strict=True, reason=N_PLUS_ONE[page.id])]
            if page.id in N_PLUS_ONE
            else [],
        )
        for page in PAGES
    ],
)
def test_queries_do_not_grow_with_the_data(
    stock: Stock, page: Page, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client = stock.world.client(getattr(stock.world, page.who))
    url = url_of(page, stock)
    small = queries_of(client, url, page)

    grow(stock)
    assert get(client, page, url) == 200
    with django_assert_max_num_queries(small + SLACK):
        assert get(client, page, url) == 200
    large = queries_of(client, url, page)
    print(f"QUERIES {page.id}: {small} -> {large}")
    budget = OVER_BUDGET[page.id][0] if page.id in OVER_BUDGET else BUDGET
    assert large <= budget, f"{page.id}: {small} → {large} queries, the budget is {budget}"


def test_every_n_plus_one_names_a_page() -> None:
    assert set(N_PLUS_ONE) <= {page.id for page in PAGES}
    assert set(OVER_BUDGET) <= {page.id for page in PAGES}


# --- learning from programs: at most 15 queries however many closed programs --------------

LEARNING_BUDGET = 15


def closed_programs(stock: Stock, n: int) -> list[int]:
    """`n` closed programs of the stock's region, each measured once (its retrospective)."""
    from django.utils import timezone

    from lockstep.insights import services as insights
    from lockstep.programs.models import ProgramStatus

    ids = []
    for _ in range(n):
        program = ProgramFactory(
            org=stock.org, status=ProgramStatus.CLOSED, audience=[stock.world.region],
            launched_at=timezone.now() - dt.timedelta(days=70),
            launch_date=timezone.localdate() - dt.timedelta(days=70),
            end_date=timezone.localdate() - dt.timedelta(days=5), owner=stock.world.marketer,
        )  # fmt: skip
        TargetFactory(program=program, team=stock.world.team)
        insights.refresh_retrospective(program=program)
        ids.append(program.pk)
    return ids


@pytest.mark.parametrize("who", ["owner", "leader", "viewer"])
def test_retrospective_and_evidence_stay_within_budget(stock: Stock, who: str) -> None:
    first = closed_programs(stock, 1)[0]
    client = stock.world.client(getattr(stock.world, who))
    urls = [
        reverse("insights:retrospective", args=[stock.org.slug, first]),
        reverse("insights:evidence", args=[stock.org.slug]),
    ]
    small = [queries_of(client, url) for url in urls]
    grow(stock)
    closed_programs(stock, 6)
    large = [queries_of(client, url) for url in urls]
    assert large == small, (small, large)
    assert max(large) <= LEARNING_BUDGET, large


def test_digest_page_stays_within_budget(stock: Stock) -> None:
    client = stock.world.client(stock.world.leader)
    url = reverse("insights:digest", args=[stock.org.slug])
    small = queries_of(client, url)
    grow(stock)
    assert queries_of(client, url) == small <= LEARNING_BUDGET
