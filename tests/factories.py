"""factory_boy factories: one per concrete model of the lockstep apps, each creating a valid
row (check constraints, and one organization per row: a child's organization is its
parent's).

Organization consistency, whatever you pass:

- `TargetFactory(program=p)`: the target, its team and its program are all in `p.org`;
- `TargetFactory(org=o)`: a new program (and team) is made in `o`;
- `TargetFactory()`: a new organization for the lot;
- `TargetFactory(org=o, program=p)` with `p.org != o` raises `ValueError` instead of saving a
  row that no page could ever show consistently.

`stock_org(world)` fills a `World` organization with one object of every kind a URL names,
all visible to every role of that world (the tenancy walk and the role matrix use it)."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import factory
from django.db import models
from django.utils import timezone

from lockstep.accounts.models import ApiToken, LoginAttempt, RateEvent, User
from lockstep.core.events import Verb
from lockstep.core.models import (
    ActivityEvent,
    AuditLog,
    DataVersion,
    ImportJob,
    Notification,
    SentMessage,
)
from lockstep.core.permissions import Role
from lockstep.enablement.models import (
    Certification,
    CheckAttempt,
    CompletionSource,
    TrainingCompletion,
)
from lockstep.feedback.models import PulseResponse, RepQuestion
from lockstep.insights.models import DigestIssue, DigestSubscription, Retrospective, ThemeRun
from lockstep.ops.models import PeriodicJobState, WorkerHeartbeat
from lockstep.orgs.models import AssetKind, Channel, Invitation, Membership, Organization, Team
from lockstep.programs.models import (
    ActivityKind,
    Asset,
    Champion,
    CheckChoice,
    CheckQuestion,
    Endorsement,
    KnowledgeCheck,
    PreviewFeedback,
    Program,
    ProgramKind,
    ProgramStatus,
    PulseRound,
    SellInActivity,
    Target,
    TargetMetric,
    TrainingItem,
    TrainingKind,
)
from lockstep.results import services as results_services
from lockstep.results.models import (
    Lead,
    LeadStatus,
    LeadTouch,
    Opportunity,
    RejectionReason,
    TouchKind,
)
from lockstep.webhooks.models import Delivery, Webhook

if TYPE_CHECKING:
    from tests.conftest import World

PASSWORD = "correct-horse-battery"


def _org_of(value: object) -> int | None:
    """The organization id a row belongs to, if it belongs to one."""
    if isinstance(value, Organization):
        return None
    org_id = getattr(value, "org_id", None)
    return org_id if isinstance(org_id, int) else None


def check_same_org(owner: str, org: Organization | None, values: dict[str, Any]) -> None:
    """Refuse to save a row that points at rows of another organization."""
    if org is None:
        return
    for name, value in values.items():
        items = value if isinstance(value, list | tuple | set) else [value]
        for item in items:
            other = _org_of(item)
            if other is not None and other != org.pk:
                raise ValueError(
                    f"{owner}.{name} is in organization {other}, the row in {org.pk}: "
                    "pass objects of one organization"
                )


class LockstepFactory(factory.django.DjangoModelFactory[Any]):
    """Base: checks organization consistency, and (with `_org_from`) derives the
    organization from a parent row (`program`, `lead`…) or builds the parent in the given
    organization."""

    _org_from: str | None = None

    class Meta:
        abstract = True
        skip_postgeneration_save = True

    @classmethod
    def _generate(cls, strategy: Any, params: dict[str, Any]) -> Any:
        parent = cls._org_from
        if parent is not None and "org" not in params and parent not in params:
            # `org` and the parent are declared in terms of each other: settle one first.
            prefix = parent + "__"
            nested = {k[len(prefix) :]: v for k, v in params.items() if k.startswith(prefix)}
            params = {k: v for k, v in params.items() if not k.startswith(prefix)}
            if nested:  # `round__program=p`: make the parent (in p's organization) first
                parent_factory = cls._meta.declarations[parent].get_factory()
                params[parent] = parent_factory._generate(strategy, nested)
            else:  # neither: a new organization for the lot
                params["org"] = OrganizationFactory._generate(strategy, {})
        return super()._generate(strategy, params)

    @classmethod
    def _create(cls, model_class: type[models.Model], *args: Any, **kwargs: Any) -> Any:
        check_same_org(model_class.__name__, kwargs.get("org"), kwargs)
        return super()._create(model_class, *args, **kwargs)


def _add_m2m(name: str) -> Callable[..., None]:
    """A post-generation hook: `Factory(teams=[…])` adds rows of the same organization."""

    def add(
        obj: models.Model, create: bool, extracted: Iterable[models.Model] | None, **kw: Any
    ) -> None:
        if create and extracted:
            items = list(extracted)
            check_same_org(type(obj).__name__, getattr(obj, "org", None), {name: items})
            getattr(obj, name).add(*items)

    return add


def _add_choices(
    obj: CheckQuestion, create: bool, extracted: Iterable[tuple[str, bool]] | None, **kw: Any
) -> None:
    """Choices of a question: one right and one wrong unless `choices=[(text, correct), …]`."""
    if not create:
        return
    pairs = [("Right", True), ("Wrong", False)] if extracted is None else list(extracted)
    for position, (text, correct) in enumerate(pairs):
        CheckChoice.objects.create(question=obj, text=text, correct=correct, position=position)


# --- accounts and orgs --------------------------------------------------------------------


class OrganizationFactory(LockstepFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class UserFactory(LockstepFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password(PASSWORD)


class DataVersionFactory(LockstepFactory):
    class Meta:
        model = DataVersion

    epoch = factory.Sequence(lambda n: f"epoch{n}")


class LoginAttemptFactory(LockstepFactory):
    class Meta:
        model = LoginAttempt

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    ip_address = "127.0.0.1"


class RateEventFactory(LockstepFactory):
    class Meta:
        model = RateEvent

    scope = "reset-address"
    key = factory.Sequence(lambda n: f"person{n}@example.com")


class TeamFactory(LockstepFactory):
    class Meta:
        model = Team

    parent = None
    org = factory.Maybe(
        "parent",
        yes_declaration=factory.SelfAttribute("parent.org"),
        no_declaration=factory.SubFactory(OrganizationFactory),
    )
    name = factory.Sequence(lambda n: f"Team {n}")
    channel = Channel.DIRECT


class MembershipFactory(LockstepFactory):
    class Meta:
        model = Membership

    team = None
    org = factory.Maybe(
        "team",
        yes_declaration=factory.SelfAttribute("team.org"),
        no_declaration=factory.SubFactory(OrganizationFactory),
    )
    user = factory.SubFactory(UserFactory)
    role = Role.REP

    led_teams = factory.PostGeneration(_add_m2m("led_teams"))


def member(org: Organization, role: str = Role.REP, team: Team | None = None) -> User:
    """A new person who is a member of `org` (for the people rows point at)."""
    return MembershipFactory(org=org, role=role, team=team).user  # type: ignore[no-any-return]


class InvitationFactory(LockstepFactory):
    class Meta:
        model = Invitation

    org = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"invited{n}@example.com")
    role = Role.VIEWER  # the one role that needs no team
    token_hash = factory.LazyFunction(lambda: secrets.token_hex(32))
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=7))


class ApiTokenFactory(LockstepFactory):
    class Meta:
        model = ApiToken

    membership = factory.SubFactory(MembershipFactory)
    name = factory.Sequence(lambda n: f"Token {n}")
    prefix = factory.LazyFunction(lambda: "ls_" + secrets.token_hex(4))
    token_hash = factory.LazyFunction(lambda: secrets.token_hex(32))


# --- core ---------------------------------------------------------------------------------


class AuditLogFactory(LockstepFactory):
    class Meta:
        model = AuditLog

    org = factory.SubFactory(OrganizationFactory)
    action = "team.created"
    object_type = "team"
    object_repr = "A team"


class NotificationFactory(LockstepFactory):
    class Meta:
        model = Notification

    org = factory.SubFactory(OrganizationFactory)
    user = factory.LazyAttribute(lambda o: member(o.org))
    kind = "program.launched"
    key = factory.Sequence(lambda n: f"notification-{n}")
    title = "Something happened"


class SentMessageFactory(LockstepFactory):
    class Meta:
        model = SentMessage

    org = factory.SubFactory(OrganizationFactory)
    key = factory.Sequence(lambda n: f"message-{n}")
    to = factory.Sequence(lambda n: f"person{n}@example.com")
    subject = "Hello"


LEADS_CSV = b"external_id,company,email\nL-1,Initech,ann@initech.example\n"


class ImportJobFactory(LockstepFactory):
    class Meta:
        model = ImportJob

    org = factory.SubFactory(OrganizationFactory)
    created_by = factory.LazyAttribute(lambda o: member(o.org, Role.MARKETER))
    kind = "leads"
    file = factory.django.FileField(filename="leads.csv", data=LEADS_CSV)
    original_name = "leads.csv"
    size = len(LEADS_CSV)


# --- programs -----------------------------------------------------------------------------


class ProgramFactory(LockstepFactory):
    class Meta:
        model = Program

    class Params:
        live = factory.Trait(
            status=ProgramStatus.LIVE,
            launched_at=factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=1)),
            launch_date=factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=1)),
        )

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Program {n}")
    kind = ProgramKind.PRODUCT_LAUNCH
    status = ProgramStatus.DRAFT
    summary = "**New** and useful."
    launch_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=10))
    end_date = factory.LazyFunction(lambda: timezone.localdate() + dt.timedelta(days=90))

    audience = factory.PostGeneration(_add_m2m("audience"))


class ProgramChildFactory(LockstepFactory):
    """A row of a program's plan: same organization as its program."""

    _org_from = "program"

    class Meta:
        abstract = True

    org = factory.SelfAttribute("program.org")
    program = factory.SubFactory(ProgramFactory, org=factory.SelfAttribute("..org"))


class SellInActivityFactory(ProgramChildFactory):
    class Meta:
        model = SellInActivity

    kind = ActivityKind.KICKOFF
    date = factory.LazyFunction(timezone.localdate)

    teams = factory.PostGeneration(_add_m2m("teams"))


class EndorsementFactory(ProgramChildFactory):
    class Meta:
        model = Endorsement

    leader = factory.LazyAttribute(lambda o: member(o.org, Role.SALES_LEADER))


class ChampionFactory(ProgramChildFactory):
    class Meta:
        model = Champion

    team = factory.SubFactory(TeamFactory, org=factory.SelfAttribute("..org"))
    user = factory.LazyAttribute(lambda o: member(o.org, Role.REP, o.team))


class PreviewFeedbackFactory(ProgramChildFactory):
    class Meta:
        model = PreviewFeedback

    author = factory.LazyAttribute(lambda o: member(o.org))
    body = "The talk track is too long."


class AssetFactory(ProgramChildFactory):
    """A link (exactly one of file and url: `file=…` with `url=""` for an upload)."""

    class Meta:
        model = Asset

    kind = AssetKind.BRIEF
    title = factory.Sequence(lambda n: f"Asset {n}")
    url = factory.Sequence(lambda n: f"https://kit.example/{n}")


class TargetFactory(ProgramChildFactory):
    class Meta:
        model = Target

    team = factory.SubFactory(TeamFactory, org=factory.SelfAttribute("..org"))
    metric = TargetMetric.MEETINGS
    value = Decimal(10)


class TrainingItemFactory(ProgramChildFactory):
    class Meta:
        model = TrainingItem

    class Params:
        live = factory.Trait(
            kind=TrainingKind.LIVE,
            content_url="",
            join_url="https://meet.example/session",
            starts_at=factory.LazyFunction(lambda: timezone.now() + dt.timedelta(days=3)),
        )

    kind = TrainingKind.SELF_PACED
    title = factory.Sequence(lambda n: f"Module {n}")
    duration_minutes = 20
    content_url = "https://learn.example/module"


class KnowledgeCheckFactory(ProgramChildFactory):
    """A check with one question (a check without questions is no check): `questions=0`
    for none, `questions=3` for three."""

    class Meta:
        model = KnowledgeCheck

    title = "Knowledge check"
    pass_mark = 80
    attempts_allowed = 3
    questions = factory.PostGeneration(
        lambda obj, create, extracted, **kw: _add_questions(obj, create, extracted)
    )


def _add_questions(check: KnowledgeCheck, create: bool, extracted: int | None) -> None:
    if create:
        for _ in range(1 if extracted is None else extracted):
            CheckQuestionFactory(knowledge_check=check)


class CheckQuestionFactory(LockstepFactory):
    """A single-answer question with one right and one wrong choice (pass `choices=[(text,
    correct), …]` for others, or `choices=[]` for none)."""

    _org_from = "knowledge_check"

    class Meta:
        model = CheckQuestion

    org = factory.SelfAttribute("knowledge_check.org")
    knowledge_check = factory.SubFactory(KnowledgeCheckFactory, org=factory.SelfAttribute("..org"))
    text = factory.Sequence(lambda n: f"Question {n}?")

    choices = factory.PostGeneration(_add_choices)


class CheckChoiceFactory(LockstepFactory):
    class Meta:
        model = CheckChoice

    # A sub-factory of an `_org_from` factory names the organization (no parent given).
    question = factory.SubFactory(
        CheckQuestionFactory, choices=[], org=factory.SubFactory(OrganizationFactory)
    )
    text = factory.Sequence(lambda n: f"Choice {n}")
    correct = False


class PulseRoundFactory(ProgramChildFactory):
    class Meta:
        model = PulseRound

    program = factory.SubFactory(ProgramFactory, org=factory.SelfAttribute("..org"), live=True)
    # At launch, then a week after the last one: unique per program.
    day_offset = factory.LazyAttribute(
        lambda o: max((r.day_offset + 7 for r in o.program.pulse_rounds.all()), default=0)
    )


# --- enablement ---------------------------------------------------------------------------


class TrainingCompletionFactory(LockstepFactory):
    _org_from = "item"

    class Meta:
        model = TrainingCompletion

    org = factory.SelfAttribute("item.org")
    item = factory.SubFactory(TrainingItemFactory, org=factory.SelfAttribute("..org"))
    user = factory.LazyAttribute(lambda o: member(o.org))
    source = CompletionSource.SELF


def attempt_order(check: KnowledgeCheck) -> dict[str, Any]:
    questions = list(check.questions.prefetch_related("choices"))
    return {
        "questions": [q.pk for q in questions],
        "choices": {str(q.pk): [c.pk for c in q.choices.all()] for q in questions},
    }


class CheckAttemptFactory(LockstepFactory):
    """A submitted, failed attempt (`open=True`: started, not submitted)."""

    _org_from = "knowledge_check"

    class Meta:
        model = CheckAttempt

    class Params:
        open = factory.Trait(submitted_at=None, score=None, passed=None)

    org = factory.SelfAttribute("knowledge_check.org")
    knowledge_check = factory.SubFactory(KnowledgeCheckFactory, org=factory.SelfAttribute("..org"))
    user = factory.LazyAttribute(lambda o: member(o.org))
    number = factory.LazyAttribute(
        lambda o: (
            CheckAttempt.objects.filter(knowledge_check=o.knowledge_check, user=o.user).count() + 1
        )
    )
    order = factory.LazyAttribute(lambda o: attempt_order(o.knowledge_check))
    answers = factory.LazyAttribute(lambda o: {qid: [] for qid in o.order["choices"]})
    submitted_at = factory.LazyFunction(timezone.now)
    score = 0
    passed = False


class CertificationFactory(ProgramChildFactory):
    class Meta:
        model = Certification

    user = factory.LazyAttribute(lambda o: member(o.org))


# --- feedback -----------------------------------------------------------------------------


class PulseResponseFactory(LockstepFactory):
    _org_from = "round"

    class Meta:
        model = PulseResponse

    org = factory.SelfAttribute("round.org")
    round = factory.SubFactory(PulseRoundFactory, org=factory.SelfAttribute("..org"))
    program = factory.SelfAttribute("round.program")
    user = factory.LazyAttribute(lambda o: member(o.org))
    understand = 4
    helps = 4
    next_steps = 4


class RepQuestionFactory(ProgramChildFactory):
    class Meta:
        model = RepQuestion

    asked_by = factory.LazyAttribute(lambda o: member(o.org))
    body = "Does it work with the old plan?"


# --- results ------------------------------------------------------------------------------


class RejectionReasonFactory(LockstepFactory):
    class Meta:
        model = RejectionReason

    org = factory.SubFactory(OrganizationFactory)
    code = factory.Sequence(lambda n: f"reason_{n}")
    label = factory.Sequence(lambda n: f"Reason {n}")


class LeadFactory(LockstepFactory):
    """An unassigned new lead (pass `program=`, `rep=`); `status="rejected"` brings a
    reason. The SLA deadline is computed as an import would."""

    class Meta:
        model = Lead

    program = None
    org = factory.Maybe(
        "program",
        yes_declaration=factory.SelfAttribute("program.org"),
        no_declaration=factory.SubFactory(OrganizationFactory),
    )
    external_id = factory.Sequence(lambda n: f"L-{n}")
    company = factory.Sequence(lambda n: f"Company {n}")
    status = LeadStatus.NEW
    rejection_reason = factory.Maybe(
        factory.LazyAttribute(lambda o: o.status == LeadStatus.REJECTED),
        yes_declaration=factory.SubFactory(
            RejectionReasonFactory, org=factory.SelfAttribute("..org")
        ),
        no_declaration=None,
    )

    @classmethod
    def _create(cls, model_class: type[models.Model], *args: Any, **kwargs: Any) -> Any:
        check_same_org("Lead", kwargs.get("org"), kwargs)
        lead = Lead(*args, **kwargs)
        if lead.sla_due_at is None:
            results_services.refresh_sla(lead)
        lead.save()
        return lead


class OpportunityFactory(LockstepFactory):
    class Meta:
        model = Opportunity

    program = None
    org = factory.Maybe(
        "program",
        yes_declaration=factory.SelfAttribute("program.org"),
        no_declaration=factory.SubFactory(OrganizationFactory),
    )
    external_id = factory.Sequence(lambda n: f"O-{n}")
    name = factory.Sequence(lambda n: f"Deal {n}")
    amount = Decimal("1000.00")
    currency = "EUR"


class LeadTouchFactory(LockstepFactory):
    _org_from = "lead"

    class Meta:
        model = LeadTouch

    org = factory.SelfAttribute("lead.org")
    lead = factory.SubFactory(
        LeadFactory,
        org=factory.SelfAttribute("..org"),
        rep=factory.LazyAttribute(lambda o: member(o.org)),
    )
    rep = factory.SelfAttribute("lead.rep")
    kind = TouchKind.CALL


class ActivityEventFactory(LockstepFactory):
    class Meta:
        model = ActivityEvent

    program = None
    org = factory.Maybe(
        "program",
        yes_declaration=factory.SelfAttribute("program.org"),
        no_declaration=factory.SubFactory(OrganizationFactory),
    )
    verb = Verb.BRIEF_OPENED


# --- webhooks and operations --------------------------------------------------------------


class WebhookFactory(LockstepFactory):
    class Meta:
        model = Webhook

    org = factory.SubFactory(OrganizationFactory)
    url = factory.LazyAttribute(lambda o: f"https://hooks.example/{o.org.slug}")
    events = factory.LazyFunction(lambda: ["program.launched", "lead.rejected"])
    secret = factory.LazyFunction(lambda: secrets.token_hex(16))
    created_by = factory.LazyAttribute(lambda o: member(o.org, Role.OWNER))


class DeliveryFactory(LockstepFactory):
    _org_from = "webhook"

    class Meta:
        model = Delivery

    org = factory.SelfAttribute("webhook.org")
    webhook = factory.SubFactory(WebhookFactory, org=factory.SelfAttribute("..org"))
    event = factory.SubFactory(
        ActivityEventFactory, org=factory.SelfAttribute("..org"), verb=Verb.LEAD_REJECTED
    )
    event_type = "lead.rejected"
    payload = factory.LazyFunction(lambda: {"type": "lead.rejected"})


class WorkerHeartbeatFactory(LockstepFactory):
    class Meta:
        model = WorkerHeartbeat

    worker_id = factory.Sequence(lambda n: f"worker-{n}")
    hostname = "localhost"
    pid = factory.Sequence(lambda n: 1000 + n)
    started_at = factory.LazyFunction(timezone.now)
    seen_at = factory.LazyFunction(timezone.now)


class PeriodicJobStateFactory(LockstepFactory):
    class Meta:
        model = PeriodicJobState

    name = factory.Sequence(lambda n: f"job-{n}")
    next_run_at = factory.LazyFunction(timezone.now)


# --- insights -----------------------------------------------------------------------------


class ThemeRunFactory(ProgramChildFactory):
    """A stored grouping of a program's texts with one theme."""

    class Meta:
        model = ThemeRun

    text_count = 8
    themes = factory.LazyFunction(
        lambda: [
            {
                "label": "Price · discount · customer",
                "top_terms": ["price", "discount", "customer"],
                "quote": "The price is too high for mid-market customers.",
                "quote_team": None,
                "count": 8,
                "counts_by_team": {},
                "sources": {"question": 8},
            }
        ]
    )


class RetrospectiveFactory(ProgramChildFactory):
    """A closed program's retrospective, not measured yet (`version=0`)."""

    class Meta:
        model = Retrospective

    program = factory.SubFactory(
        ProgramFactory, org=factory.SelfAttribute("..org"), status=ProgramStatus.CLOSED
    )
    lessons = "Preview earlier."


class DigestSubscriptionFactory(LockstepFactory):
    _org_from = "membership"

    class Meta:
        model = DigestSubscription

    org = factory.SelfAttribute("membership.org")
    membership = factory.SubFactory(
        MembershipFactory, org=factory.SelfAttribute("..org"), role=Role.SALES_LEADER
    )
    subscribed = True


class DigestIssueFactory(LockstepFactory):
    _org_from = "membership"

    class Meta:
        model = DigestIssue

    org = factory.SelfAttribute("membership.org")
    membership = factory.SubFactory(
        MembershipFactory, org=factory.SelfAttribute("..org"), role=Role.SALES_LEADER
    )
    week = dt.date(2026, 11, 30)
    subject = "Your week in Lockstep, 30 November"
    body_html = "<p>Nothing this week.</p>"


# --- a stocked organization ---------------------------------------------------------------


@dataclass
class Stock:
    """One object of every kind a URL can name, in one organization, each visible to every
    role of the world it was made for: a live program aimed at the region that holds both
    the rep's team and the partner team, with one row of each part of its plan; the rep's
    and the partner rep's own attempt, certificate and lead; an unmatched lead; an import
    job; a pending invitation; the owner's API token."""

    world: World
    program: Program
    activity: SellInActivity
    champion: Champion
    feedback: PreviewFeedback
    asset: Asset
    target: Target
    module: TrainingItem  # self-paced
    session: TrainingItem  # live
    check: KnowledgeCheck
    check_question: CheckQuestion
    right_choice: CheckChoice
    pulse_round: PulseRound
    rep_question: RepQuestion
    attempts: dict[int, CheckAttempt]  # by user id: the rep's and the partner rep's
    leads: dict[int, Lead]  # by user id: the rep's and the partner rep's
    unmatched_lead: Lead
    import_job: ImportJob
    invitation: Invitation
    reason: RejectionReason
    api_token: ApiToken  # the owner's
    webhook: Webhook  # with one delivery

    @property
    def org(self) -> Organization:
        return self.world.org

    @property
    def lead(self) -> Lead:
        return self.leads[self.world.rep.pk]

    @property
    def attempt(self) -> CheckAttempt:
        return self.attempts[self.world.rep.pk]

    @property
    def team(self) -> Team:
        return self.world.team

    @property
    def rep_membership(self) -> Membership:
        return self.world.membership(self.world.rep)

    @property
    def partner_membership(self) -> Membership:
        return self.world.membership(self.world.partner)

    @property
    def marketer_membership(self) -> Membership:
        return self.world.membership(self.world.marketer)


def stock_org(world: World) -> Stock:
    org, w = world.org, world
    program = ProgramFactory(
        org=org, name=f"{org.name} launch", live=True, owner=w.marketer, audience=[w.region]
    )
    check = KnowledgeCheckFactory(program=program, attempts_allowed=5)
    question = check.questions.get()
    attempts: dict[int, CheckAttempt] = {
        user.pk: CheckAttemptFactory(knowledge_check=check, user=user)
        for user in (w.rep, w.partner)
    }
    for user in (w.rep, w.partner):
        CertificationFactory(program=program, user=user)
    leads: dict[int, Lead] = {
        user.pk: LeadFactory(program=program, rep=user, company=f"{org.name} lead of {user}")
        for user in (w.rep, w.partner)
    }
    results_services.ensure_rejection_reasons(org)
    ActivityEventFactory(program=program, actor=w.rep, verb=Verb.BRIEF_OPENED)
    return Stock(
        world=w,
        program=program,
        activity=SellInActivityFactory(program=program, owner=w.marketer, teams=[w.region]),
        champion=ChampionFactory(program=program, team=w.team, user=w.rep),
        feedback=PreviewFeedbackFactory(program=program, author=w.rep),
        asset=AssetFactory(program=program, partner_visible=True, owner=w.marketer),
        target=TargetFactory(program=program, team=w.team),
        module=TrainingItemFactory(program=program, title="Module"),
        # Held yesterday: attendance is recorded only for a session that has started.
        session=TrainingItemFactory(
            program=program,
            title="Walkthrough",
            live=True,
            starts_at=timezone.now() - dt.timedelta(days=1),
        ),
        check=check,
        check_question=question,
        right_choice=question.choices.get(correct=True),
        pulse_round=PulseRoundFactory(program=program, day_offset=0),
        rep_question=RepQuestionFactory(program=program, asked_by=w.rep),
        attempts=attempts,
        leads=leads,
        unmatched_lead=LeadFactory(org=org, rep=w.rep, campaign="Unknown campaign"),
        import_job=ImportJobFactory(org=org, created_by=w.owner),
        invitation=InvitationFactory(org=org, invited_by=w.owner),
        reason=RejectionReason.objects.get(org=org, code="not_a_fit"),
        api_token=ApiTokenFactory(membership=world.membership(w.owner)),
        webhook=DeliveryFactory(org=org, webhook__created_by=w.owner).webhook,
    )
