"""The demo's story in one place: which programs exist, where each is in its life, and how
each one lands with its teams. The steps (programs, activity, leads, insights) read it.

What each login sees first:

- the marketer: Atlas 3.0 live everywhere, landing with some teams and not others (the
  funnel says which and why); the Cloud campaign clearly landing; the Partner SPIFF clearly
  not (unread briefs, failed checks, a low pulse, slow leads, targets behind); five closed
  programs with their retrospectives and enough of them for the evidence page;
- the sales leader (Lena Brooks, New York Enterprise): Analytics Copilot in preview waiting
  for her endorsement and her team's target to acknowledge, Atlas and Cloud live for her
  team, last Monday's digest in the bell;
- the viewer and the owner: the programs side by side, past and present."""

from __future__ import annotations

from dataclasses import dataclass, field

# Share of a team's reps who do each step, by temperament.
TEMPERAMENT = {"champion": 0.92, "steady": 0.65, "lagging": 0.22}
MOODS = ("champion", "steady", "lagging")


@dataclass(frozen=True)
class Landing:
    """How a live or closed program lands: the weights of each team temperament, leads per
    rep per week, and the opportunities each team is asked for per rep over the target's
    period."""

    weights: tuple[int, int, int] | None  # champion, steady, lagging; None: by team name
    leads_per_rep_week: float
    target_per_rep: float
    pulse_days: tuple[int, ...] = (0, 14)


@dataclass(frozen=True)
class Story:
    name: str
    kind: str
    audience: str  # "all", "partners", "inside sales", or region names joined by "|"
    launch: int  # days from today
    weeks: int
    status: str  # where the program ends up
    complete: bool = True  # the six questions fully answered
    incentive: str = "accelerator"  # or "spiff", "none"
    proof_points: bool = True
    training_minutes: int = 20  # the self-paced module (a 30-minute live session too)
    exception: bool = False  # goes live on an owner's exception to the gate
    codes: tuple[str, ...] = ()
    summary: str = ""
    marketer: int = 0
    landing: Landing | None = None
    period: str = "quarter"  # of its targets
    lessons: str = ""
    moods: dict[str, str] = field(default_factory=dict)  # team name → temperament


MIXED = Landing(None, 0.6, 1.0, pulse_days=(0, 7))
LANDING = Landing((8, 2, 0), 0.8, 0.9, pulse_days=(0, 14, 28))
NOT_LANDING = Landing((0, 3, 7), 0.8, 1.0, pulse_days=(0, 14))

PROGRAMS = [
    Story(
        "Atlas 3.0 launch",
        "product_launch",
        "all",
        -14,
        16,
        "live",
        landing=MIXED,
        codes=("ATLAS3-LAUNCH",),
        moods={"New York Enterprise": "steady"},
        summary="**Atlas 3.0** brings real-time dashboards and AI-written insights to every "
        "customer on the Growth plan.\n\n- Lead with the Monday-morning question\n"
        "- Expansion first: existing Atlas 2.x accounts\n- New logos: mid-market analytics "
        "teams",
    ),
    Story(
        "Q4 Cloud Migration campaign",
        "campaign",
        "North America East|North America West",
        -35,
        10,
        "live",
        landing=LANDING,
        codes=("Q4-CLOUD",),
        incentive="spiff",
        moods={"New York Enterprise": "champion"},
        summary="A 10-week campaign offering a free migration assessment.",
    ),
    Story(
        "Partner Accelerate SPIFF",
        "pricing_change",
        "partners",
        -21,
        8,
        "live",
        landing=NOT_LANDING,
        codes=("PARTNER-SPIFF",),
        incentive="spiff",
        training_minutes=65,
        summary="Partners earn a SPIFF of €500 per new Growth-plan deal.",
    ),
    Story(
        "Security Essentials training",
        "product_training",
        "EMEA North|EMEA South",
        5,
        12,
        "ready",
        summary="Certify every EMEA rep on the security add-on before the December push.",
    ),
    Story(
        "EMEA Data Residency launch",
        "product_launch",
        "EMEA North",
        21,
        12,
        "preview",
        complete=False,
        marketer=1,
        codes=("EMEA-RESIDENCY",),
        summary="EU-hosted data for regulated customers. Draft brief: tell us what is missing.",
    ),
    Story(
        "Analytics Copilot early access",
        "product_launch",
        "North America East",
        28,
        10,
        "preview",
        incentive="none",
        summary="Early access for 20 design-partner customers: "
        "AI that answers questions about a customer's own dashboards.",
    ),
    Story(
        "Mid-market bundle pricing",
        "pricing_change",
        "North America West",
        35,
        12,
        "draft",
        complete=False,
        marketer=2,
        summary="New bundle price for 50–200 seat deals.",
    ),
    # closed: what finished looks like, and enough history for the evidence page
    Story(
        "Spring pricing refresh",
        "pricing_change",
        "EMEA North|EMEA South",
        -200,
        8,
        "closed",
        incentive="none",
        training_minutes=75,
        proof_points=False,
        codes=("SPRING-PRICE",),
        period="program",
        landing=Landing((2, 4, 4), 0.35, 0.9, pulse_days=(0, 14, 42)),
        marketer=1,
        summary="New list prices for EMEA, with a 90-day grandfathering offer.",
        lessons="**Too much training for a price change.** 75 minutes of required training "
        "kept half the reps from finishing before their first renewal call.\n\n"
        "- Reps asked the same three questions about grandfathering in week one: put them in "
        "the FAQ *before* launch next time.\n- Teams that ran the manager cascade in the first "
        "week met their targets; the others did not catch up.",
    ),
    Story(
        "Summer promo 2026",
        "campaign",
        "all",
        -150,
        10,
        "closed",
        codes=("SUMMER26",),
        period="program",
        landing=Landing((5, 4, 1), 0.3, 0.8, pulse_days=(0, 14, 42)),
        summary="Summer discount on annual Growth plans, with an accelerator for reps.",
        lessons="**The accelerator worked where leaders talked about it.** Teams whose leader "
        "endorsed the promo in the kickoff were bought in by week two.\n\n"
        "- Partner teams lagged all summer: they got the brief a week late.\n"
        "- Speed-to-lead fell in August holidays; plan cover before the next summer push.",
    ),
    Story(
        "APAC webinar series",
        "lead_generation",
        "APAC",
        -120,
        8,
        "closed",
        complete=False,
        exception=True,
        incentive="none",
        codes=("APAC-WEBINARS",),
        period="program",
        landing=Landing((1, 3, 6), 0.5, 1.4, pulse_days=(0, 14, 42)),
        marketer=1,
        summary="Six webinars for APAC prospects; reps follow up every attendee within a day.",
        lessons="**Launched without a preview round, and it showed.** The board date was "
        "fixed, so an owner launched it below the gate.\n\n"
        "- Nobody in sales had seen the follow-up process before the first webinar: leads "
        "waited days for a first touch.\n- Next time: preview with two team leads, even for a "
        "week.",
    ),
    Story(
        "Inside sales renewal blitz",
        "campaign",
        "inside sales",
        -90,
        6,
        "closed",
        incentive="none",
        codes=("RENEW-BLITZ",),
        period="program",
        landing=Landing((8, 2, 0), 0.9, 0.9, pulse_days=(0, 14, 28)),
        summary="Six weeks to call every renewal due next quarter.",
        lessons="**Short, sharp and sold in.** A 20-minute module, a daily stand-up and a "
        "target each team leader set themselves.\n\n- Keep the one-page call script: reps "
        "used it more than any other asset.",
    ),
    Story(
        "Data Platform webinar push",
        "lead_generation",
        "North America West",
        -75,
        6,
        "closed",
        incentive="spiff",
        proof_points=False,
        training_minutes=45,
        codes=("DATA-WEBINAR",),
        period="program",
        landing=Landing((5, 4, 1), 0.7, 0.9, pulse_days=(0, 14, 28)),
        marketer=2,
        summary="Follow up every attendee of the Data Platform webinars in 24 hours.",
    ),
]

BY_NAME = {story.name: story for story in PROGRAMS}
