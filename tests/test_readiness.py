"""Every readiness rule, on plain facts (no database). The rules are in docs/readiness.md."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from lockstep.programs.readiness import (
    QUESTION_TITLES,
    WEIGHTS,
    ActivityFact,
    AssetFact,
    Finding,
    ProgramFacts,
    Question,
    State,
    TargetFact,
    TeamFact,
    TrainingFact,
    score,
)

TODAY = dt.date(2027, 3, 10)
YESTERDAY = TODAY - dt.timedelta(days=1)
LAUNCH = dt.date(2027, 4, 1)
EXPIRES = dt.date(2027, 12, 31)
# EMEA is a region with two direct teams and a partner team; APAC is outside the audience.
REGION, A, B, P, APAC = 1, 2, 3, 4, 9
TEAMS = {
    REGION: TeamFact(REGION, "EMEA", None, "direct"),
    A: TeamFact(A, "London", REGION, "direct"),
    B: TeamFact(B, "Paris", REGION, "direct"),
    P: TeamFact(P, "Brightline", REGION, "partner"),
    APAC: TeamFact(APAC, "APAC", None, "direct"),
}
REQUIRED = [("brief", "Brief / one-pager"), ("battlecard", "Battlecard")]
NO_ACTIVITY = (
    "No sell-in activity is planned: add a kickoff, a manager cascade, a roadshow "
    "or a webinar before launch."
)
NO_AUDIENCE = "No audience teams are picked: choose who this program is for."
NO_ENDORSEMENT = "No sales leader of an audience team has endorsed this program yet."
NO_PREVIEW = (
    "No preview round yet: put the program in preview so sales sees it and gives "
    "feedback before it is ready."
)


def asset(kind: str = "brief", label: str = "Brief / one-pager", **kw: Any) -> AssetFact:
    defaults: dict[str, Any] = {"title": kind, "expires_on": EXPIRES, "partner_visible": True}
    defaults.update(kw)
    return AssetFact(kind=kind, kind_label=label, **defaults)


def activity(*teams: int, kind: str = "Kickoff briefing", on: dt.date = TODAY) -> ActivityFact:
    return ActivityFact(kind, on, frozenset(teams))


def item(minutes: int, required: bool = True, **kw: Any) -> TrainingFact:
    defaults: dict[str, Any] = {"title": "Module", "kind": "self_paced"}
    defaults.update(kw)
    return TrainingFact(minutes=minutes, required=required, **defaults)


def complete(**changes: Any) -> ProgramFacts:
    """A program that answers all six questions; each test changes one thing at a time."""
    facts = ProgramFacts(
        today=TODAY,
        launch_date=LAUNCH,
        teams=TEAMS,
        audience_ids=frozenset({REGION}),
        activities=[activity(REGION)],
        endorsement_count=1,
        preview_held=True,
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
        training=[item(30)],
        has_knowledge_check=True,
        max_training_minutes=60,
    )
    return replace(facts, **changes)


def empty(**changes: Any) -> ProgramFacts:
    """A program where nothing is answered yet."""
    facts = ProgramFacts(today=TODAY, launch_date=None, teams=TEAMS, audience_ids=frozenset())
    return replace(facts, **changes)


def result(facts: ProgramFacts, question: Question) -> tuple[State, list[str]]:
    q = score(facts).questions[list(Question).index(question)]
    assert q.question == question
    assert all(f.question == question for f in q.findings)
    return q.state, [f.message for f in q.findings]


# --- the score ----------------------------------------------------------------------------


def test_weights_add_up_to_100() -> None:
    assert WEIGHTS == {
        Question.SELL_IN: 15,
        Question.BUY_IN: 20,
        Question.WIIFM: 15,
        Question.KIT: 20,
        Question.TARGETS: 15,
        Question.TRAINING: 15,
    }
    assert sum(WEIGHTS.values()) == 100


def test_a_complete_program_scores_100_with_no_findings() -> None:
    readiness = score(complete())
    assert readiness.score == 100
    assert readiness.findings == []
    assert [q.state for q in readiness.questions] == [State.COMPLETE] * 6
    assert [q.points for q in readiness.questions] == [15, 20, 15, 20, 15, 15]
    assert readiness.passes(80) and readiness.passes(100)


def test_an_empty_program_scores_0_and_says_why() -> None:
    readiness = score(empty())
    assert readiness.score == 0
    assert [q.question for q in readiness.questions] == list(Question)
    assert [q.state for q in readiness.questions] == [State.EMPTY] * 6
    assert [q.points for q in readiness.questions] == [0] * 6
    assert [f.message for f in readiness.findings] == [
        NO_AUDIENCE,
        NO_ACTIVITY,
        NO_ENDORSEMENT,
        NO_PREVIEW,
        "The WIIFM statement is empty: say in the rep's words what is in it for them.",
        "The rep kit is empty: add the brief, talk track and FAQ reps need.",
        "Pick the audience teams before setting targets.",
        "No training is planned.",
    ]
    assert not readiness.passes(1) and readiness.passes(0)


def test_questions_come_in_order_with_titles_and_weights() -> None:
    questions = score(complete()).questions
    assert [q.question for q in questions] == list(Question)
    assert [q.weight for q in questions] == [WEIGHTS[q] for q in Question]
    assert [q.title for q in questions] == [QUESTION_TITLES[q] for q in Question]


def test_a_partial_question_earns_half_its_points_rounded_down() -> None:
    assert score(complete(proof_points="")).score == 100 - 15 + 7  # WIIFM: 15 → 7
    assert score(complete(open_feedback_count=1)).score == 100 - 20 + 10  # buy-in: 20 → 10


def test_everything_partial_scores_half_of_each_question() -> None:
    facts = complete(
        activities=[activity(A)],
        endorsement_count=0,
        proof_points="",
        assets=[asset()],
        targets=[TargetFact(A, "pending")],
        has_knowledge_check=False,
    )
    readiness = score(facts)
    assert [q.state for q in readiness.questions] == [State.PARTIAL] * 6
    assert [q.points for q in readiness.questions] == [7, 10, 7, 10, 7, 7]
    assert readiness.score == 48
    assert not readiness.passes(80)


def test_findings_are_listed_question_by_question() -> None:
    readiness = score(complete(endorsement_count=0, has_knowledge_check=False))
    assert readiness.findings == [
        Finding(Question.BUY_IN, NO_ENDORSEMENT),
        Finding(
            Question.TRAINING,
            "There is no knowledge check: add one so you know reps understood.",
        ),
    ]
    assert readiness.score == 100 - 10 - 8


# --- the audience -------------------------------------------------------------------------


def test_picking_a_region_makes_its_sub_teams_the_selling_teams() -> None:
    # Three selling teams (London, Paris, Brightline); the region itself is not counted.
    _state, messages = result(complete(targets=[TargetFact(A, "acknowledged")]), Question.TARGETS)
    assert messages == ["2 of 3 audience teams have no target"]


def test_picking_a_team_directly_makes_it_the_only_selling_team() -> None:
    facts = complete(audience_ids=frozenset({A}), champion_team_ids=frozenset({A}))
    assert score(facts).score == 100


def test_regions_expand_through_every_level() -> None:
    teams = {
        10: TeamFact(10, "World", None, "direct"),
        11: TeamFact(11, "EMEA", 10, "direct"),
        12: TeamFact(12, "London", 11, "direct"),
        13: TeamFact(13, "Paris", 11, "direct"),
        14: TeamFact(14, "Americas", 10, "direct"),
    }
    facts = complete(
        teams=teams,
        audience_ids=frozenset({10}),
        activities=[activity(10)],
        champion_team_ids=frozenset({12, 13}),
        targets=[TargetFact(11, "acknowledged")],
    )
    assert result(facts, Question.SELL_IN) == (State.COMPLETE, [])  # the top reaches all
    assert result(facts, Question.BUY_IN)[1] == ["1 of 3 audience teams has no champion"]
    assert result(facts, Question.TARGETS)[1] == ["1 of 3 audience teams has no target"]


def test_audience_ids_of_unknown_teams_are_ignored() -> None:
    facts = complete(audience_ids=frozenset({404}))
    assert result(facts, Question.SELL_IN)[1] == [NO_AUDIENCE]
    assert result(facts, Question.TARGETS)[0] == State.EMPTY


# --- 1. sell-in ---------------------------------------------------------------------------


def test_sell_in_empty() -> None:
    assert result(complete(activities=[]), Question.SELL_IN) == (State.EMPTY, [NO_ACTIVITY])


def test_sell_in_complete_when_an_activity_on_the_region_reaches_its_teams() -> None:
    assert result(complete(), Question.SELL_IN) == (State.COMPLETE, [])
    each = [activity(A), activity(B, kind="Roadshow"), activity(P, kind="Webinar")]
    assert result(complete(activities=each), Question.SELL_IN) == (State.COMPLETE, [])


def test_unreached_teams_are_counted_singular_and_plural() -> None:
    assert result(complete(activities=[activity(A)]), Question.SELL_IN) == (
        State.PARTIAL,
        ["2 of 3 audience teams are not reached by any sell-in activity"],
    )
    assert result(complete(activities=[activity(A, B)]), Question.SELL_IN) == (
        State.PARTIAL,
        ["1 of 3 audience teams is not reached by any sell-in activity"],
    )


def test_an_activity_outside_the_audience_reaches_nobody() -> None:
    assert result(complete(activities=[activity(APAC)]), Question.SELL_IN) == (
        State.PARTIAL,
        ["3 of 3 audience teams are not reached by any sell-in activity"],
    )


def test_an_activity_on_a_sub_team_does_not_reach_its_region_siblings() -> None:
    facts = complete(audience_ids=frozenset({A, B}), activities=[activity(A)])
    assert result(facts, Question.SELL_IN)[1] == [
        "1 of 2 audience teams is not reached by any sell-in activity"
    ]


def test_activity_after_launch() -> None:
    late = [activity(REGION, kind="Roadshow", on=dt.date(2027, 5, 12))]
    facts = complete(activities=late, launch_date=dt.date(2027, 5, 1))
    assert result(facts, Question.SELL_IN) == (
        State.PARTIAL,
        [
            "The roadshow on 12 May 2027 is after the launch date (1 May 2027): sell the "
            "program in before it goes live"
        ],
    )


def test_activity_on_the_launch_day_is_too_late() -> None:
    on_the_day = [activity(REGION, kind="Roadshow", on=LAUNCH)]
    assert result(complete(activities=on_the_day), Question.SELL_IN) == (
        State.PARTIAL,
        [
            "The roadshow on 1 April 2027 is on the launch date (1 April 2027): sell the "
            "program in before it goes live"
        ],
    )
    the_day_before = [activity(REGION, kind="Roadshow", on=LAUNCH - dt.timedelta(days=1))]
    assert result(complete(activities=the_day_before), Question.SELL_IN) == (State.COMPLETE, [])


def test_without_a_launch_date_no_activity_is_late() -> None:
    late = [activity(REGION, on=dt.date(2030, 1, 1))]
    assert result(complete(activities=late, launch_date=None), Question.SELL_IN)[0] == (
        State.COMPLETE
    )


def test_each_late_activity_is_a_finding_after_unreached_teams() -> None:
    facts = complete(
        activities=[
            activity(A, kind="Manager cascade", on=dt.date(2027, 4, 2)),
            activity(B, kind="Webinar", on=dt.date(2027, 12, 31)),
        ]
    )
    assert result(facts, Question.SELL_IN) == (
        State.PARTIAL,
        [
            "1 of 3 audience teams is not reached by any sell-in activity",
            "The manager cascade on 2 April 2027 is after the launch date (1 April 2027): "
            "sell the program in before it goes live",
            "The webinar on 31 December 2027 is after the launch date (1 April 2027): sell "
            "the program in before it goes live",
        ],
    )


def test_no_audience_sell_in_cannot_be_complete() -> None:
    facts = complete(audience_ids=frozenset())
    assert result(facts, Question.SELL_IN) == (State.PARTIAL, [NO_AUDIENCE])


def test_no_audience_and_no_activity_is_empty_with_both_findings() -> None:
    facts = complete(audience_ids=frozenset(), activities=[])
    assert result(facts, Question.SELL_IN) == (State.EMPTY, [NO_AUDIENCE, NO_ACTIVITY])


# --- 2. buy-in ----------------------------------------------------------------------------


def test_buy_in_complete() -> None:
    assert result(complete(), Question.BUY_IN) == (State.COMPLETE, [])
    assert result(complete(endorsement_count=3), Question.BUY_IN) == (State.COMPLETE, [])


def test_buy_in_empty_without_endorsement_or_champion() -> None:
    facts = complete(endorsement_count=0, champion_team_ids=frozenset(), open_feedback_count=2)
    assert result(facts, Question.BUY_IN) == (
        State.EMPTY,
        [
            NO_ENDORSEMENT,
            "3 of 3 audience teams have no champion",
            "2 preview feedback items are not answered yet",
        ],
    )


def test_no_endorsement_is_partial_when_there_are_champions() -> None:
    assert result(complete(endorsement_count=0), Question.BUY_IN) == (
        State.PARTIAL,
        [NO_ENDORSEMENT],
    )


def test_endorsed_without_champions_is_partial() -> None:
    assert result(complete(champion_team_ids=frozenset()), Question.BUY_IN) == (
        State.PARTIAL,
        ["3 of 3 audience teams have no champion"],
    )


def test_teams_without_a_champion_singular_and_plural() -> None:
    assert result(complete(champion_team_ids=frozenset({A, B})), Question.BUY_IN) == (
        State.PARTIAL,
        ["1 of 3 audience teams has no champion"],
    )
    assert result(complete(champion_team_ids=frozenset({A})), Question.BUY_IN)[1] == [
        "2 of 3 audience teams have no champion"
    ]


def test_a_champion_on_the_region_does_not_count_for_its_teams() -> None:
    facts = complete(champion_team_ids=frozenset({REGION}))
    assert result(facts, Question.BUY_IN) == (
        State.PARTIAL,
        ["3 of 3 audience teams have no champion"],
    )
    # Without an endorsement, a region champion alone counts as no champion at all.
    facts = complete(champion_team_ids=frozenset({REGION}), endorsement_count=0)
    assert result(facts, Question.BUY_IN)[0] == State.EMPTY


def test_a_champion_outside_the_audience_does_not_count() -> None:
    facts = complete(champion_team_ids=frozenset({A, B, APAC}))
    assert result(facts, Question.BUY_IN)[1] == ["1 of 3 audience teams has no champion"]


def test_open_preview_feedback_singular_and_plural() -> None:
    assert result(complete(open_feedback_count=1), Question.BUY_IN) == (
        State.PARTIAL,
        ["1 preview feedback item is not answered yet"],
    )
    assert result(complete(open_feedback_count=3), Question.BUY_IN) == (
        State.PARTIAL,
        ["3 preview feedback items are not answered yet"],
    )


# --- 3. WIIFM -----------------------------------------------------------------------------

WIIFM_EMPTY = "The WIIFM statement is empty: say in the rep's words what is in it for them."
NO_PROOF = "Add proof points: customer results or numbers that make the WIIFM credible."


def test_wiifm_complete_with_or_without_an_incentive() -> None:
    assert result(complete(), Question.WIIFM) == (State.COMPLETE, [])
    facts = complete(incentive_kind="none", incentive_amount=None, incentive_currency="")
    assert result(facts, Question.WIIFM) == (State.COMPLETE, [])


def test_wiifm_empty_even_with_only_spaces() -> None:
    assert result(complete(wiifm=""), Question.WIIFM) == (State.EMPTY, [WIIFM_EMPTY])
    assert result(complete(wiifm=" \n\t "), Question.WIIFM) == (State.EMPTY, [WIIFM_EMPTY])
    # Nothing else is reported while the statement itself is missing.
    facts = complete(wiifm="", proof_points="", incentive_kind="spiff", incentive_amount=None)
    assert result(facts, Question.WIIFM) == (State.EMPTY, [WIIFM_EMPTY])


def test_wiifm_without_proof_points() -> None:
    assert result(complete(proof_points=""), Question.WIIFM) == (State.PARTIAL, [NO_PROOF])
    assert result(complete(proof_points="   "), Question.WIIFM) == (State.PARTIAL, [NO_PROOF])


def test_each_incentive_is_named_in_its_finding() -> None:
    names = {
        "spiff": "SPIFF",
        "accelerator": "commission accelerator",
        "quota_credit": "quota credit",
        "other": "incentive",
    }
    for kind, name in names.items():
        facts = complete(incentive_kind=kind, incentive_amount=None)
        assert result(facts, Question.WIIFM) == (
            State.PARTIAL,
            [f"The {name} has no amount or currency."],
        )


def test_incentive_needs_a_positive_amount_and_a_three_letter_currency() -> None:
    spiff = "The SPIFF has no amount or currency."
    for amount, currency in [
        (None, "EUR"),
        (Decimal("0"), "EUR"),
        (Decimal("-5"), "EUR"),
        (Decimal("500"), ""),
        (Decimal("500"), "EU"),
        (Decimal("500"), "EURO"),
        (Decimal("500"), "E1R"),
    ]:
        facts = complete(
            incentive_kind="spiff", incentive_amount=amount, incentive_currency=currency
        )
        assert result(facts, Question.WIIFM) == (State.PARTIAL, [spiff]), (amount, currency)
    facts = complete(
        incentive_kind="spiff", incentive_amount=Decimal("0.01"), incentive_currency="USD"
    )
    assert result(facts, Question.WIIFM) == (State.COMPLETE, [])


def test_quota_credit_and_other_still_need_an_amount() -> None:
    for kind, name in [("quota_credit", "quota credit"), ("other", "incentive")]:
        facts = complete(incentive_kind=kind, incentive_amount=None, incentive_currency="USD")
        assert result(facts, Question.WIIFM)[1] == [f"The {name} has no amount or currency."]


def test_wiifm_both_findings() -> None:
    facts = complete(proof_points="", incentive_kind="spiff", incentive_currency="")
    assert result(facts, Question.WIIFM) == (
        State.PARTIAL,
        [NO_PROOF, "The SPIFF has no amount or currency."],
    )


# --- 4. rep kit ---------------------------------------------------------------------------

KIT_EMPTY = "The rep kit is empty: add the brief, talk track and FAQ reps need."
NO_PARTNER_ASSET = "Partner teams are in the audience but no asset is partner-visible."


def test_kit_complete() -> None:
    assert result(complete(), Question.KIT) == (State.COMPLETE, [])


def test_kit_empty() -> None:
    assert result(complete(assets=[]), Question.KIT) == (State.EMPTY, [KIT_EMPTY])
    assert result(complete(assets=[], required_asset_kinds=[]), Question.KIT) == (
        State.EMPTY,
        [KIT_EMPTY],
    )


def test_missing_required_kind() -> None:
    assert result(complete(assets=[asset()]), Question.KIT) == (
        State.PARTIAL,
        ["No battlecard in the kit (required)."],
    )


def test_missing_kind_labels_lose_only_their_first_capital() -> None:
    required = [
        ("brief", "Brief / one-pager"),
        ("talk_track", "Talk track"),
        ("faq", "FAQ & objection handling"),
    ]
    facts = complete(required_asset_kinds=required, assets=[asset("demo", "Demo")])
    assert result(facts, Question.KIT) == (
        State.PARTIAL,
        [
            "No brief / one-pager in the kit (required).",
            "No talk track in the kit (required).",
            "No FAQ & objection handling in the kit (required).",  # an acronym stays upper-case
        ],
    )


def test_an_asset_that_expired_yesterday_is_flagged_and_does_not_count() -> None:
    expired = asset("battlecard", "Battlecard", title="Q3 battlecard", expires_on=YESTERDAY)
    assert result(complete(assets=[asset(), expired]), Question.KIT) == (
        State.PARTIAL,
        ["The battlecard “Q3 battlecard” expired on 9 March 2027."],
    )


def test_an_asset_expiring_today_is_still_valid() -> None:
    today = asset("battlecard", "Battlecard", expires_on=TODAY)
    assert result(complete(assets=[asset(), today]), Question.KIT) == (State.COMPLETE, [])


def test_every_expired_asset_is_a_finding_even_when_the_kind_is_covered() -> None:
    assets = [
        asset(),
        asset("battlecard", "Battlecard"),
        asset("battlecard", "Battlecard", title="Q3 battlecard", expires_on=dt.date(2027, 3, 3)),
        asset("faq", "FAQ & objection handling", title="Old FAQ", expires_on=dt.date(2026, 1, 1)),
    ]
    assert result(complete(assets=assets), Question.KIT) == (
        State.PARTIAL,
        [
            "The battlecard “Q3 battlecard” expired on 3 March 2027.",
            "The FAQ & objection handling “Old FAQ” expired on 1 January 2026.",
        ],
    )


def test_only_expired_assets_and_no_required_kinds() -> None:
    old = asset("demo", "Demo", title="Old demo", expires_on=YESTERDAY)
    facts = complete(required_asset_kinds=[], assets=[old], audience_ids=frozenset({A}))
    assert result(facts, Question.KIT) == (
        State.PARTIAL,
        ["The demo “Old demo” expired on 9 March 2027."],
    )


def test_no_required_kinds_one_valid_asset_suffices() -> None:
    facts = complete(required_asset_kinds=[], assets=[asset("demo", "Demo")])
    assert result(facts, Question.KIT) == (State.COMPLETE, [])


def test_partner_teams_need_a_partner_visible_asset() -> None:
    hidden = [
        asset(partner_visible=False),
        asset("battlecard", "Battlecard", partner_visible=False),
    ]
    assert result(complete(assets=hidden), Question.KIT) == (State.PARTIAL, [NO_PARTNER_ASSET])


def test_an_expired_partner_visible_asset_does_not_count_for_partners() -> None:
    assets = [
        asset(partner_visible=False),
        asset("battlecard", "Battlecard", partner_visible=False),
        asset("demo", "Demo", title="Old demo", expires_on=YESTERDAY, partner_visible=True),
    ]
    assert result(complete(assets=assets), Question.KIT) == (
        State.PARTIAL,
        ["The demo “Old demo” expired on 9 March 2027.", NO_PARTNER_ASSET],
    )


def test_without_partner_teams_no_asset_needs_to_be_partner_visible() -> None:
    hidden = [
        asset(partner_visible=False),
        asset("battlecard", "Battlecard", partner_visible=False),
    ]
    direct_only = complete(assets=hidden, audience_ids=frozenset({A, B}))
    assert result(direct_only, Question.KIT) == (State.COMPLETE, [])


def test_kit_all_findings_in_order() -> None:
    assets = [asset(title="Brief", expires_on=YESTERDAY, partner_visible=True)]
    assert result(complete(assets=assets), Question.KIT) == (
        State.PARTIAL,
        [
            "No battlecard in the kit (required).",
            "The brief / one-pager “Brief” expired on 9 March 2027.",
            NO_PARTNER_ASSET,
        ],
    )


# --- 5. targets ---------------------------------------------------------------------------


def test_targets_complete() -> None:
    assert result(complete(), Question.TARGETS) == (State.COMPLETE, [])
    per_team = [TargetFact(t, "acknowledged") for t in (A, B, P)]
    assert result(complete(targets=per_team), Question.TARGETS) == (State.COMPLETE, [])


def test_targets_without_audience() -> None:
    facts = complete(audience_ids=frozenset())
    assert result(facts, Question.TARGETS) == (
        State.EMPTY,
        ["Pick the audience teams before setting targets."],
    )


def test_targets_empty() -> None:
    assert result(complete(targets=[]), Question.TARGETS) == (
        State.EMPTY,
        ["No targets are set: give every audience team a target."],
    )


def test_a_target_on_a_region_covers_its_teams_but_not_the_reverse() -> None:
    two = [TargetFact(A, "acknowledged"), TargetFact(B, "acknowledged")]
    assert result(complete(targets=two), Question.TARGETS) == (
        State.PARTIAL,
        ["1 of 3 audience teams has no target"],
    )
    one = [TargetFact(A, "acknowledged")]
    assert result(complete(targets=one), Question.TARGETS) == (
        State.PARTIAL,
        ["2 of 3 audience teams have no target"],
    )


def test_a_target_outside_the_audience_covers_nobody() -> None:
    assert result(complete(targets=[TargetFact(APAC, "acknowledged")]), Question.TARGETS) == (
        State.PARTIAL,
        ["3 of 3 audience teams have no target"],
    )


def test_pending_targets_alone_make_targets_partial() -> None:
    assert result(complete(targets=[TargetFact(REGION, "pending")]), Question.TARGETS) == (
        State.PARTIAL,
        ["1 target is waiting for the team leader's acknowledgement"],
    )
    pending = [TargetFact(t, "pending") for t in (A, B, P)]
    assert result(complete(targets=pending), Question.TARGETS) == (
        State.PARTIAL,
        ["3 targets are waiting for the team leader's acknowledgement"],
    )


def test_disputed_targets_singular_and_plural() -> None:
    assert result(complete(targets=[TargetFact(REGION, "disputed")]), Question.TARGETS) == (
        State.PARTIAL,
        ["1 target is disputed by the team leader"],
    )
    disputed = [TargetFact(REGION, "disputed"), TargetFact(A, "disputed")]
    assert result(complete(targets=disputed), Question.TARGETS) == (
        State.PARTIAL,
        ["2 targets are disputed by the team leader"],
    )


def test_targets_all_findings_in_order() -> None:
    targets = [TargetFact(A, "pending"), TargetFact(A, "pending"), TargetFact(B, "disputed")]
    assert result(complete(targets=targets), Question.TARGETS) == (
        State.PARTIAL,
        [
            "1 of 3 audience teams has no target",
            "2 targets are waiting for the team leader's acknowledgement",
            "1 target is disputed by the team leader",
        ],
    )


# --- 6. training --------------------------------------------------------------------------

NO_CHECK = "There is no knowledge check: add one so you know reps understood."


def test_training_complete() -> None:
    assert result(complete(), Question.TRAINING) == (State.COMPLETE, [])


def test_training_empty() -> None:
    facts = complete(training=[], has_knowledge_check=False)
    assert result(facts, Question.TRAINING) == (State.EMPTY, ["No training is planned."])


def test_a_knowledge_check_alone_is_partial() -> None:
    assert result(complete(training=[]), Question.TRAINING) == (
        State.PARTIAL,
        ["No training item is required."],
    )


def test_training_exactly_at_the_limit_is_complete() -> None:
    items = [item(40), item(20)]
    assert result(complete(training=items), Question.TRAINING) == (State.COMPLETE, [])


def test_training_one_minute_over_the_limit() -> None:
    items = [item(40), item(21)]
    assert result(complete(training=items), Question.TRAINING) == (
        State.PARTIAL,
        ["The training needs 61 minutes, the limit is 60."],
    )


def test_the_limit_is_the_organizations() -> None:
    facts = complete(training=[item(95)], max_training_minutes=90)
    assert result(facts, Question.TRAINING)[1] == [
        "The training needs 95 minutes, the limit is 90."
    ]
    assert result(replace(facts, max_training_minutes=95), Question.TRAINING)[0] == (State.COMPLETE)


def test_optional_items_do_not_count_in_minutes() -> None:
    items = [item(30), item(90, required=False, title="Deep dive", kind="live")]
    assert result(complete(training=items), Question.TRAINING) == (State.COMPLETE, [])


def test_no_knowledge_check() -> None:
    assert result(complete(has_knowledge_check=False), Question.TRAINING) == (
        State.PARTIAL,
        [NO_CHECK],
    )


def test_nothing_required() -> None:
    assert result(complete(training=[item(30, required=False)]), Question.TRAINING) == (
        State.PARTIAL,
        ["No training item is required."],
    )


def test_live_session_after_launch() -> None:
    late = dt.datetime(2027, 4, 2, 10, 0, tzinfo=dt.UTC)
    items = [item(30, title="Walkthrough", kind="live", starts_at=late)]
    assert result(complete(training=items), Question.TRAINING) == (
        State.PARTIAL,
        ["The live session “Walkthrough” is after the launch date."],
    )


def test_live_session_on_the_launch_day_or_without_launch_date_is_fine() -> None:
    on_the_day = dt.datetime(2027, 4, 1, 23, 0, tzinfo=dt.UTC)
    items = [item(30, title="Walkthrough", kind="live", starts_at=on_the_day)]
    assert result(complete(training=items), Question.TRAINING) == (State.COMPLETE, [])
    late = dt.datetime(2027, 6, 1, 10, 0, tzinfo=dt.UTC)
    items = [item(30, title="Walkthrough", kind="live", starts_at=late)]
    assert result(complete(training=items, launch_date=None), Question.TRAINING)[0] == (
        State.COMPLETE
    )


def test_only_live_sessions_can_be_late() -> None:
    late = dt.datetime(2027, 6, 1, 10, 0, tzinfo=dt.UTC)
    items = [item(30, kind="self_paced", starts_at=late)]
    assert result(complete(training=items), Question.TRAINING) == (State.COMPLETE, [])


def test_training_all_findings_in_order() -> None:
    late = dt.datetime(2027, 4, 2, 10, 0, tzinfo=dt.UTC)
    items = [
        item(95, required=False, title="Optional", kind="live", starts_at=late),
        item(120, required=False, title="Also optional"),
    ]
    facts = complete(training=items, has_knowledge_check=False)
    assert result(facts, Question.TRAINING) == (
        State.PARTIAL,
        [
            NO_CHECK,
            "No training item is required.",
            "The live session “Optional” is after the launch date.",
        ],
    )
    over = complete(training=[item(95)], has_knowledge_check=False)
    assert result(over, Question.TRAINING)[1] == [
        "The training needs 95 minutes, the limit is 60.",
        NO_CHECK,
    ]


# --- properties ---------------------------------------------------------------------------

team_ids = st.frozensets(st.sampled_from(sorted(TEAMS) + [404]), max_size=5)
dates = st.dates(min_value=dt.date(2026, 1, 1), max_value=dt.date(2028, 1, 1))
kinds = st.sampled_from(["brief", "battlecard", "faq", "demo"])


@st.composite
def program_facts(draw: st.DrawFn) -> ProgramFacts:
    return ProgramFacts(
        today=draw(dates),
        launch_date=draw(st.none() | dates),
        teams=TEAMS,
        audience_ids=draw(team_ids),
        activities=draw(
            st.lists(st.builds(ActivityFact, st.just("Roadshow"), dates, team_ids), max_size=4)
        ),
        endorsement_count=draw(st.integers(0, 3)),
        champion_team_ids=draw(team_ids),
        open_feedback_count=draw(st.integers(0, 5)),
        wiifm=draw(st.text(max_size=10)),
        incentive_kind=draw(
            st.sampled_from(["none", "spiff", "accelerator", "quota_credit", "other"])
        ),
        incentive_amount=draw(st.none() | st.decimals(-10, 1000, places=2)),
        incentive_currency=draw(st.sampled_from(["", "EUR", "usd", "EU", "E1R"])),
        proof_points=draw(st.text(max_size=10)),
        assets=draw(
            st.lists(
                st.builds(
                    asset,
                    kinds,
                    st.sampled_from(["Label", "FAQ & objection handling"]),
                    title=st.text(max_size=5),
                    expires_on=st.none() | dates,
                    partner_visible=st.booleans(),
                ),
                max_size=5,
            )
        ),
        required_asset_kinds=draw(st.sampled_from([[], REQUIRED])),
        targets=draw(
            st.lists(
                st.builds(
                    TargetFact,
                    st.sampled_from(sorted(TEAMS)),
                    st.sampled_from(["pending", "acknowledged", "disputed"]),
                ),
                max_size=5,
            )
        ),
        training=draw(
            st.lists(
                st.builds(
                    TrainingFact,
                    st.just("T"),
                    st.sampled_from(["live", "self_paced"]),
                    st.integers(1, 120),
                    st.booleans(),
                    st.none() | st.datetimes(timezones=st.just(dt.UTC)),
                ),
                max_size=4,
            )
        ),
        has_knowledge_check=draw(st.booleans()),
        max_training_minutes=draw(st.integers(0, 180)),
    )


@given(program_facts())
def test_score_is_between_0_and_100_and_the_sum_of_the_points(facts: ProgramFacts) -> None:
    readiness = score(facts)
    assert 0 <= readiness.score <= 100
    assert readiness.score == sum(q.points for q in readiness.questions)
    assert [q.question for q in readiness.questions] == list(Question)
    for q in readiness.questions:
        assert q.weight == WEIGHTS[q.question]
        expected = {State.EMPTY: 0, State.PARTIAL: q.weight // 2, State.COMPLETE: q.weight}
        assert q.points == expected[q.state]
        # Complete exactly when nothing is left to fix; every finding names its question.
        assert (q.state == State.COMPLETE) == (not q.findings)
        assert all(f.question == q.question and f.message for f in q.findings)


@given(program_facts())
def test_without_audience_sell_in_is_never_complete(facts: ProgramFacts) -> None:
    facts = replace(facts, audience_ids=frozenset())
    sell_in, *_rest, targets, _training = score(facts).questions
    assert sell_in.state != State.COMPLETE
    assert NO_AUDIENCE in [f.message for f in sell_in.findings]
    assert targets.state == State.EMPTY


# --- buy-in means sales saw it: the preview round -------------------------------------------


def test_no_preview_round_is_a_buy_in_finding() -> None:
    assert result(complete(preview_held=False), Question.BUY_IN) == (State.PARTIAL, [NO_PREVIEW])


# --- every asset has an owner and an expiry; every live session a joining link ---------------


def test_assets_without_owner_or_expiry_are_findings() -> None:
    assets = [
        asset(title="One-pager", has_owner=False),
        asset("battlecard", "Battlecard", title="Versus X", expires_on=None),
        asset("brief", "Brief / one-pager", title="Old", has_owner=False, expires_on=None),
    ]
    assert result(complete(assets=assets), Question.KIT) == (
        State.PARTIAL,
        [
            "The brief / one-pager “One-pager” has no owner.",
            "The battlecard “Versus X” has no expiry date.",
            "The brief / one-pager “Old” has no owner and no expiry date.",
        ],
    )


def test_a_live_session_without_a_joining_link_is_a_finding() -> None:
    session = item(30, kind="live", title="Walkthrough", has_join_link=False)
    assert result(complete(training=[session]), Question.TRAINING) == (
        State.PARTIAL,
        ["The live session “Walkthrough” has no joining link."],
    )
