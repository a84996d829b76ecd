"""Every readiness rule, on plain facts (no database)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lockstep.programs.readiness import (
    WEIGHTS,
    ActivityFact,
    AssetFact,
    ProgramFacts,
    Question,
    State,
    TargetFact,
    TeamFact,
    TrainingFact,
    score,
)

TODAY = dt.date(2027, 3, 10)
LAUNCH = dt.date(2027, 4, 1)
REGION, A, B, P = 1, 2, 3, 4  # EMEA region with two direct teams and a partner team
TEAMS = {
    REGION: TeamFact(REGION, "EMEA", None, "direct"),
    A: TeamFact(A, "London", REGION, "direct"),
    B: TeamFact(B, "Paris", REGION, "direct"),
    P: TeamFact(P, "Brightline", REGION, "partner"),
    9: TeamFact(9, "APAC", None, "direct"),
}
REQUIRED = [("brief", "Brief / one-pager"), ("battlecard", "Battlecard")]


def asset(kind: str = "brief", label: str = "Brief / one-pager", **kw: Any) -> AssetFact:
    defaults: dict[str, Any] = {"title": kind, "expires_on": None, "partner_visible": True}
    defaults.update(kw)
    return AssetFact(kind=kind, kind_label=label, **defaults)


def complete(**changes: Any) -> ProgramFacts:
    """A program that answers all six questions; tests change one thing at a time."""
    facts = ProgramFacts(
        today=TODAY,
        launch_date=LAUNCH,
        teams=TEAMS,
        audience_ids=frozenset({REGION}),
        activities=[ActivityFact("Kickoff briefing", TODAY, frozenset({REGION}))],
        endorsement_count=1,
        champion_team_ids=frozenset({A, B, P}),
        open_feedback_count=0,
        wiifm="Double commission on every deal",
        incentive_kind="accelerator",
        incentive_amount=Decimal("2"),
        incentive_currency="EUR",
        proof_points="Pilots +30%",
        assets=[asset(), asset("battlecard", "Battlecard", partner_visible=False)],
        required_asset_kinds=REQUIRED,
        targets=[TargetFact(REGION, "acknowledged")],
        training=[TrainingFact("Module", "self_paced", 30, True)],
        has_knowledge_check=True,
        max_training_minutes=60,
    )
    return replace(facts, **changes)


def result(facts: ProgramFacts, question: Question) -> tuple[State, list[str]]:
    q = score(facts).questions[list(Question).index(question)]
    return q.state, [f.message for f in q.findings]


def test_a_complete_program_scores_100_with_no_findings() -> None:
    readiness = score(complete())
    assert readiness.score == 100 and readiness.findings == []
    assert readiness.passes(80) and readiness.passes(100)


def test_an_empty_program_scores_0() -> None:
    empty = ProgramFacts(today=TODAY, launch_date=None, teams=TEAMS, audience_ids=frozenset())
    readiness = score(empty)
    assert readiness.score == 0
    assert all(q.state == State.EMPTY for q in readiness.questions)
    assert [q.question for q in readiness.questions] == list(Question)


def test_weights_add_up_to_100() -> None:
    assert sum(WEIGHTS.values()) == 100


# --- 1. sell-in ---------------------------------------------------------------------------


def test_sell_in_empty() -> None:
    state, messages = result(complete(activities=[]), Question.SELL_IN)
    assert state == State.EMPTY
    assert messages == [
        "No sell-in activity is planned: add a kickoff, a manager cascade, a roadshow "
        "or a webinar before launch."
    ]


def test_activity_on_a_region_reaches_its_sub_teams() -> None:
    assert result(complete(), Question.SELL_IN) == (State.COMPLETE, [])


def test_unreached_teams_are_counted() -> None:
    one = [ActivityFact("Roadshow", TODAY, frozenset({A}))]
    assert result(complete(activities=one), Question.SELL_IN) == (
        State.PARTIAL,
        ["2 of 3 audience teams are not reached by any sell-in activity"],
    )
    two = [ActivityFact("Roadshow", TODAY, frozenset({A, B}))]
    assert result(complete(activities=two), Question.SELL_IN)[1] == [
        "1 of 3 audience teams is not reached by any sell-in activity"
    ]


def test_activity_after_launch() -> None:
    late = [ActivityFact("Roadshow", dt.date(2027, 5, 12), frozenset({REGION}))]
    assert result(complete(activities=late), Question.SELL_IN) == (
        State.PARTIAL,
        ["The roadshow on 12 May 2027 is after the launch date (1 April 2027)"],
    )
    on_the_day = [ActivityFact("Roadshow", LAUNCH, frozenset({REGION}))]
    assert result(complete(activities=on_the_day), Question.SELL_IN)[0] == State.COMPLETE


def test_no_audience() -> None:
    facts = complete(audience_ids=frozenset())
    state, messages = result(facts, Question.SELL_IN)
    assert state == State.PARTIAL
    assert messages[0] == "No audience teams are picked: choose who this program is for."
    assert result(facts, Question.TARGETS) == (
        State.EMPTY,
        ["Pick the audience teams before setting targets."],
    )


def test_audience_ids_of_unknown_teams_are_ignored() -> None:
    assert result(complete(audience_ids=frozenset({404})), Question.TARGETS)[0] == State.EMPTY


# --- 2. buy-in ----------------------------------------------------------------------------


def test_buy_in_empty_without_sponsor_or_champion() -> None:
    state, messages = result(
        complete(endorsement_count=0, champion_team_ids=frozenset()), Question.BUY_IN
    )
    assert state == State.EMPTY
    assert messages == [
        "No sales leader has endorsed this program yet.",
        "3 of 3 audience teams have no champion",
    ]


def test_champion_on_a_region_does_not_count_for_its_teams() -> None:
    state, messages = result(complete(champion_team_ids=frozenset({REGION, A})), Question.BUY_IN)
    assert state == State.PARTIAL and messages == ["2 of 3 audience teams have no champion"]
    assert result(complete(champion_team_ids=frozenset({A, B})), Question.BUY_IN)[1] == [
        "1 of 3 audience teams has no champion"
    ]


def test_open_preview_feedback() -> None:
    assert result(complete(open_feedback_count=1), Question.BUY_IN) == (
        State.PARTIAL,
        ["1 preview feedback item is not answered yet"],
    )
    assert result(complete(open_feedback_count=3), Question.BUY_IN)[1] == [
        "3 preview feedback items are not answered yet"
    ]


def test_endorsed_without_champions_is_partial() -> None:
    assert result(complete(champion_team_ids=frozenset()), Question.BUY_IN)[0] == State.PARTIAL


# --- 3. WIIFM -----------------------------------------------------------------------------


def test_wiifm_empty_even_with_only_spaces() -> None:
    assert result(complete(wiifm="   "), Question.WIIFM) == (
        State.EMPTY,
        ["The WIIFM statement is empty: say in the rep's words what is in it for them."],
    )


def test_wiifm_without_proof_points() -> None:
    assert result(complete(proof_points=""), Question.WIIFM) == (
        State.PARTIAL,
        ["Add proof points: customer results or numbers that make the WIIFM credible."],
    )


def test_incentive_needs_amount_and_currency() -> None:
    facts = complete(incentive_kind="spiff", incentive_amount=None)
    assert result(facts, Question.WIIFM) == (
        State.PARTIAL,
        ["The SPIFF has no amount or currency."],
    )
    facts = complete(incentive_kind="quota_credit", incentive_currency="")
    assert result(facts, Question.WIIFM)[1] == ["The quota credit has no amount or currency."]
    facts = complete(incentive_kind="none", incentive_amount=None, incentive_currency="")
    assert result(facts, Question.WIIFM)[0] == State.COMPLETE


# --- 4. rep kit ---------------------------------------------------------------------------


def test_kit_empty() -> None:
    assert result(complete(assets=[]), Question.KIT) == (
        State.EMPTY,
        ["The rep kit is empty: add the brief, talk track and FAQ reps need."],
    )


def test_missing_required_kind() -> None:
    assert result(complete(assets=[asset()]), Question.KIT) == (
        State.PARTIAL,
        ["No battlecard in the kit (required)."],
    )


def test_expired_asset_is_flagged_and_does_not_count() -> None:
    expired = asset(
        "battlecard", "Battlecard", title="Q3 battlecard", expires_on=dt.date(2027, 3, 3)
    )
    state, messages = result(complete(assets=[asset(), expired]), Question.KIT)
    assert state == State.PARTIAL
    assert messages == [
        "No battlecard in the kit (required).",
        "The battlecard “Q3 battlecard” expired on 3 March 2027.",
    ]


def test_asset_expiring_today_is_still_valid() -> None:
    today = asset("battlecard", "Battlecard", expires_on=TODAY)
    assert result(complete(assets=[asset(), today]), Question.KIT)[0] == State.COMPLETE


def test_partner_teams_need_a_partner_visible_asset() -> None:
    hidden = [
        asset(partner_visible=False),
        asset("battlecard", "Battlecard", partner_visible=False),
    ]
    assert result(complete(assets=hidden), Question.KIT) == (
        State.PARTIAL,
        ["Partner teams are in the audience but no asset is partner-visible."],
    )
    direct_only = complete(assets=hidden, audience_ids=frozenset({A, B}))
    assert result(direct_only, Question.KIT)[0] == State.COMPLETE


def test_no_required_kinds_one_valid_asset_suffices() -> None:
    facts = complete(required_asset_kinds=[], assets=[asset("demo", "Demo")])
    assert result(facts, Question.KIT)[0] == State.COMPLETE


# --- 5. targets ---------------------------------------------------------------------------


def test_targets_empty() -> None:
    assert result(complete(targets=[]), Question.TARGETS) == (
        State.EMPTY,
        ["No targets are set: give every audience team a target."],
    )


def test_target_on_a_region_covers_its_teams_but_not_the_reverse() -> None:
    assert result(complete(), Question.TARGETS)[0] == State.COMPLETE
    two = [TargetFact(A, "acknowledged"), TargetFact(B, "acknowledged")]
    assert result(complete(targets=two), Question.TARGETS) == (
        State.PARTIAL,
        ["1 of 3 audience teams has no target"],
    )
    one = [TargetFact(A, "acknowledged")]
    assert result(complete(targets=one), Question.TARGETS)[1] == [
        "2 of 3 audience teams have no target"
    ]


def test_targets_waiting_or_disputed() -> None:
    targets = [TargetFact(A, "pending"), TargetFact(B, "pending"), TargetFact(P, "disputed")]
    assert result(complete(targets=targets), Question.TARGETS) == (
        State.PARTIAL,
        [
            "2 targets are waiting for the team leader's acknowledgement",
            "1 target is disputed by the team leader",
        ],
    )
    assert result(complete(targets=[TargetFact(REGION, "pending")]), Question.TARGETS)[1] == [
        "1 target is waiting for the team leader's acknowledgement"
    ]


# --- 6. training --------------------------------------------------------------------------


def test_training_empty() -> None:
    facts = complete(training=[], has_knowledge_check=False)
    assert result(facts, Question.TRAINING) == (State.EMPTY, ["No training is planned."])


def test_training_exactly_at_the_limit_is_complete() -> None:
    items = [TrainingFact("A", "self_paced", 40, True), TrainingFact("B", "self_paced", 20, True)]
    assert result(complete(training=items), Question.TRAINING) == (State.COMPLETE, [])


def test_training_over_the_limit() -> None:
    items = [TrainingFact("A", "self_paced", 61, True)]
    assert result(complete(training=items), Question.TRAINING) == (
        State.PARTIAL,
        ["The training needs 61 minutes, the limit is 60."],
    )


def test_optional_items_do_not_count_in_minutes() -> None:
    items = [
        TrainingFact("A", "self_paced", 30, True),
        TrainingFact("Deep dive", "live", 90, False),
    ]
    assert result(complete(training=items), Question.TRAINING)[0] == State.COMPLETE


def test_no_knowledge_check_and_nothing_required() -> None:
    items = [TrainingFact("A", "self_paced", 30, False)]
    facts = complete(training=items, has_knowledge_check=False)
    assert result(facts, Question.TRAINING) == (
        State.PARTIAL,
        [
            "No training item is required.",
            "There is no knowledge check: add one so you know reps understood.",
        ],
    )


def test_live_session_after_launch() -> None:
    late = dt.datetime(2027, 4, 2, 10, 0, tzinfo=dt.UTC)
    items = [TrainingFact("Walkthrough", "live", 30, True, late)]
    assert result(complete(training=items), Question.TRAINING)[1] == [
        "The live session “Walkthrough” is after the launch date."
    ]


def test_partial_question_earns_half_its_points_rounded_down() -> None:
    readiness = score(complete(proof_points=""))
    assert readiness.score == 100 - WEIGHTS[Question.WIIFM] + WEIGHTS[Question.WIIFM] // 2
    buy_in = score(complete(open_feedback_count=1))
    assert buy_in.score == 90  # buy-in is worth 20, half is 10


# --- properties ---------------------------------------------------------------------------

team_ids = st.frozensets(st.sampled_from(sorted(TEAMS)), max_size=5)
dates = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 1, 1))


@given(
    audience=team_ids,
    activities=st.lists(st.builds(ActivityFact, st.just("Roadshow"), dates, team_ids), max_size=4),
    endorsements=st.integers(0, 3),
    champions=team_ids,
    feedback=st.integers(0, 5),
    wiifm=st.text(max_size=20),
    incentive=st.sampled_from(["none", "spiff", "accelerator", "quota_credit", "other"]),
    assets=st.lists(
        st.builds(
            asset,
            st.sampled_from(["brief", "battlecard", "faq"]),
            st.just("Label"),
            expires_on=st.none() | dates,
            partner_visible=st.booleans(),
        ),
        max_size=5,
    ),
    targets=st.lists(
        st.builds(
            TargetFact,
            st.sampled_from(sorted(TEAMS)),
            st.sampled_from(["pending", "acknowledged", "disputed"]),
        ),
        max_size=5,
    ),
    training=st.lists(
        st.builds(
            TrainingFact,
            st.just("T"),
            st.sampled_from(["live", "self_paced"]),
            st.integers(1, 120),
            st.booleans(),
        ),
        max_size=4,
    ),
    check=st.booleans(),
    launch=st.none() | dates,
)
def test_score_is_between_0_and_100_and_the_sum_of_points(**kw: Any) -> None:
    facts = ProgramFacts(
        today=TODAY,
        launch_date=kw["launch"],
        teams=TEAMS,
        audience_ids=kw["audience"],
        activities=kw["activities"],
        endorsement_count=kw["endorsements"],
        champion_team_ids=kw["champions"],
        open_feedback_count=kw["feedback"],
        wiifm=kw["wiifm"],
        incentive_kind=kw["incentive"],
        assets=kw["assets"],
        required_asset_kinds=REQUIRED,
        targets=kw["targets"],
        training=kw["training"],
        has_knowledge_check=kw["check"],
    )
    readiness = score(facts)
    assert 0 <= readiness.score <= 100
    assert readiness.score == sum(q.points for q in readiness.questions)
    for q in readiness.questions:
        assert (
            q.points
            == {State.EMPTY: 0, State.PARTIAL: q.weight // 2, State.COMPLETE: q.weight}[q.state]
        )
        assert (q.state == State.COMPLETE) == (not q.findings)
