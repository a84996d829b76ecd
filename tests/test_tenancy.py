"""Every page under /o/<org-slug>/ is invisible to people outside that organization."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pytest
from django.apps import apps
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from lockstep.accounts.models import ApiToken, User
from lockstep.core.permissions import PERMISSIONS, Perm, Role
from lockstep.orgs.models import Invitation, Membership, Organization
from lockstep.programs.models import Asset, CheckChoice, Program, ProgramStatus
from tests import factories
from tests.conftest import World
from tests.factories import Stock


@dataclass(frozen=True)
class OrgRoute:
    route: str  # "/o/<slug:org_slug>/programs/<int:program_id>/"
    name: str  # "programs:detail"
    pattern: URLPattern

    @property
    def params(self) -> list[str]:
        """The URL parameters besides the organization's slug."""
        return [p for p in re.findall(r"<(?:\w+:)?(\w+)>", self.route) if p != "org_slug"]

    @property
    def perm(self) -> Perm:
        return self.pattern.callback.lockstep_perm  # type: ignore[attr-defined,no-any-return]


def org_routes() -> list[OrgRoute]:
    """Every URL pattern under /o/<org_slug>/, with its namespaced name."""
    found: list[OrgRoute] = []

    def walk(patterns: list, prefix: str, namespace: str) -> None:  # type: ignore[type-arg]
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                inner = ":".join(n for n in (namespace, p.namespace) if n)
                walk(p.url_patterns, route, inner)
            elif "<slug:org_slug>" in route:
                found.append(OrgRoute(route, f"{namespace}:{p.name}" if namespace else p.name, p))

    walk(get_resolver().url_patterns, "/", "")
    return found


def org_patterns() -> list[tuple[str, URLPattern]]:
    """(route template, pattern) for every URL pattern under /o/<org_slug>/."""
    return [(r.route, r.pattern) for r in org_routes()]


def fill(route: str, world: World) -> str:
    """Fill a route's parameters with the ids of real objects of the victim organization."""
    invitation, _ = Invitation.objects.get_or_create(
        org=world.org,
        email="x@acme.example",
        token_hash="h" * 64,
        defaults={"role": Role.REP, "expires_at": "2099-01-01T00:00:00Z"},
    )
    program, _ = Program.objects.get_or_create(
        org=world.org, name="Victim program", defaults={"status": ProgramStatus.LIVE}
    )
    program.audience.add(world.region)
    asset, _ = Asset.objects.get_or_create(
        org=world.org, program=program, kind="brief", title="Secret", url="https://x.example"
    )
    samples = {
        "org_slug": world.org.slug,
        "program_id": program.pk,
        "item_id": asset.pk,
        "kind": "assets",
        "question_id": 1,
        "attempt_id": 1,
        "lead_id": 1,
        "job_id": 1,
        "team_id": world.team.pk,
        "membership_id": Membership.objects.get(org=world.org, user=world.rep).pk,
        "invitation_id": invitation.pk,
    }

    def sub(match: re.Match[str]) -> str:
        name = match.group(2)
        assert name in samples, f"add a sample value for <{name}> in tests/test_tenancy.py"
        return str(samples[name])

    return re.sub(r"<(\w+:)?(\w+)>", sub, route)


def test_there_are_org_pages_to_walk() -> None:
    assert len(org_patterns()) >= 10


@pytest.mark.parametrize("method", ["get", "post"])
def test_every_org_page_is_404_for_a_member_of_another_org(world: World, method: str) -> None:
    client = world.client(world.outsider)  # owner of Globex: the most powerful outsider
    for route, _ in org_patterns():
        url = fill(route, world)
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} gave {response.status_code}"


def test_every_org_page_is_404_for_a_removed_member(world: World) -> None:
    Membership.objects.filter(org=world.org, user=world.owner).delete()
    client = world.client(world.owner)
    for route, _ in org_patterns():
        assert client.get(fill(route, world)).status_code == 404


def test_every_org_page_asks_anonymous_visitors_to_log_in(world: World) -> None:
    client = world.client(None)
    for route, _ in org_patterns():
        url = fill(route, world)
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/"), url


def test_every_org_view_declares_a_permission() -> None:
    for route, pattern in org_patterns():
        perm = getattr(pattern.callback, "lockstep_perm", None)
        assert perm in PERMISSIONS, f"{route} is not decorated with @org_view"


def test_unknown_org_slug_is_404(world: World) -> None:
    assert world.client(world.owner).get("/o/no-such-org/").status_code == 404


def test_permission_table_covers_every_permission() -> None:
    assert set(PERMISSIONS) == set(Perm)
    assert all(PERMISSIONS[p] <= set(Role.values) for p in Perm)


JUNK = {
    "name": "x" * 5000, "to": "abc", "program": "abc", "team": "abc", "parent": "abc",
    "role": "emperor", "status": "exploded", "kind": "??", "lead": ["abc", "-1"],
    "user": ["abc"], "toggle": "abc", "revoke": "abc", "q1": ["abc"], "day_offset": "-9",
    "value": "NaN", "date": "31/31/2031", "starts_at": "yesterday", "email": "@@",
    "answer": "", "body": "", "reason": "nope", "comment": "x" * 10000,
}  # fmt: skip


@pytest.mark.parametrize("who", ["owner", "marketer", "leader", "rep", "partner", "viewer"])
def test_no_page_answers_junk_with_a_server_error(world: World, who: str) -> None:
    """Every page, as each of the six roles, GET with junk query parameters and POST junk:
    a clear 4xx or a redirect, never a 500 (tests/test_security_hostile.py sends the full
    hostile corpus to every form field, query string and API operation)."""
    client = world.client(getattr(world, who))
    urls = [fill(route, world) for route, _ in org_patterns()]  # before junk changes things
    for url in urls:
        for response in (client.get(url, JUNK), client.post(url, JUNK)):
            assert response.status_code < 500, f"{who} {response.request['REQUEST_METHOD']} {url}"


# --- object level: your own organization's pages, another organization's ids ---------------
#
# Two organizations, A (Acme, the `world`) and B (Globex, the `rival`), each stocked with one
# object of every kind a URL can name (tests.factories.Stock). A member of B with the most
# powerful role the view allows asks B's own pages (/o/<B>/…) for A's objects, and the other
# way round. The answer must be 404, whatever the method; a GET of a POST-only page may be
# 405 only if it is 405 with B's own ids too (the method is refused before any lookup).
#
# Each page is also asked with the attacker's own ids (in a savepoint that is rolled back):
# that must not be 404, which proves the page can load those objects for that member, and
# so that the 404 with a foreign id comes from that id (the mixed cases: own program,
# foreign child; foreign program, own child).


@dataclass(frozen=True)
class Ids:
    """How to fill a route's parameters: parameter → Stock attribute (a dotted path) whose
    pk goes in the URL; plus constant parameters (`kind` of programs:child_delete)."""

    objects: dict[str, str]
    constants: dict[str, str] | None = None


PROGRAM = Ids({"program_id": "program"})


def _child(param: str, attribute: str) -> list[Ids]:
    return [Ids({"program_id": "program", param: attribute})]


# Every route under /o/<org_slug>/ → the objects its parameters name ([] when it has none).
# A new route, or a new parameter, fails test_every_org_route_is_in_the_id_map: add it here.
ROUTE_IDS: dict[str, list[Ids]] = {
    "insights:home": [],
    "insights:funnel": [PROGRAM],
    "insights:team": _child("team_id", "team"),
    "insights:remind": [],
    "insights:scorecard": [PROGRAM],
    "insights:sc_readiness": [PROGRAM],
    "insights:sc_sla": [PROGRAM],
    "insights:sc_rejections": [PROGRAM],
    "insights:sc_kit": [PROGRAM],
    "insights:sc_pulse": [PROGRAM],
    "insights:sc_questions": [PROGRAM],
    "insights:sc_themes": [PROGRAM],
    "insights:opportunities": [PROGRAM],
    "insights:lead": [Ids({"lead_id": "lead"})],
    "insights:retrospective": [PROGRAM],
    "insights:retro_lessons": [PROGRAM],
    "insights:retro_refresh": [PROGRAM],
    "insights:themes_refresh": [PROGRAM],
    "insights:evidence": [],
    "insights:digest": [],
    "orgs:members": [],
    "orgs:invite": [],
    "orgs:member_edit": [Ids({"membership_id": "rep_membership"})],
    "orgs:member_remove": [Ids({"membership_id": "rep_membership"})],
    "orgs:member_security": [Ids({"membership_id": "rep_membership"})],
    "orgs:revoke_invitation": [Ids({"invitation_id": "invitation"})],
    "orgs:teams": [],
    "orgs:team_create": [],
    "orgs:team_detail": [Ids({"team_id": "team"})],
    "orgs:team_edit": [Ids({"team_id": "team"})],
    "orgs:team_delete": [Ids({"team_id": "team"})],
    "orgs:settings": [],
    "orgs:security": [],
    "orgs:audit": [],
    "orgs:notifications": [],
    "orgs:api_tokens": [],
    "programs:list": [],
    "programs:create": [],
    "programs:calendar": [],
    "programs:detail": [PROGRAM],
    "programs:edit": [PROGRAM],
    "programs:archive": [PROGRAM],
    "programs:transition": [PROGRAM],
    "programs:activity_add": [PROGRAM],
    "programs:wiifm": [PROGRAM],
    "programs:asset_add": [PROGRAM],
    "programs:asset_open": _child("item_id", "asset"),
    "programs:target_add": [PROGRAM],
    "programs:targets_for_audience": [PROGRAM],
    "programs:target_respond": _child("item_id", "target"),
    "programs:training_add": [PROGRAM],
    "programs:training_edit": _child("item_id", "module"),
    "programs:check": [PROGRAM],
    "programs:check_questions": [PROGRAM],
    "programs:check_question_delete": _child("question_id", "check_question"),
    "programs:champion_add": [PROGRAM],
    "programs:champions_for_audience": [PROGRAM],
    "programs:endorse": [PROGRAM],
    "programs:feedback_add": [PROGRAM],
    "programs:feedback_respond": _child("item_id", "feedback"),
    "programs:child_delete": [  # one per kind of plan row (programs.views.PLAN_ROWS)
        Ids({"program_id": "program", "item_id": attribute}, {"kind": kind})
        for kind, attribute in [
            ("activities", "activity"),
            ("champions", "champion"),
            ("assets", "asset"),
            ("targets", "target"),
            ("training", "module"),
        ]
    ],
    "briefs:brief": [PROGRAM],
    "briefs:brief_ack": [PROGRAM],
    "briefs:brief_ask": [PROGRAM],
    "briefs:session_ics": _child("item_id", "session"),
    "enablement:complete": _child("item_id", "module"),
    "enablement:attendance": _child("item_id", "session"),
    "enablement:take": [PROGRAM],
    "enablement:attempt": _child("attempt_id", "attempt"),
    "enablement:certificate": [PROGRAM],
    "feedback:pulse": [PROGRAM],
    "feedback:pulse_answer": [PROGRAM],
    "feedback:pulse_settings": [PROGRAM],
    "feedback:inbox": [PROGRAM],
    "feedback:answer": _child("question_id", "rep_question"),
    "feedback:faq": _child("question_id", "rep_question"),
    "results:my_leads": [],
    "results:reject": [],
    "results:unmatched": [],
    "results:touch": [Ids({"lead_id": "lead"})],
    "results:accept": [Ids({"lead_id": "lead"})],
    "results:reassign": [Ids({"lead_id": "lead"})],
    "results:program": [PROGRAM],
    "results:program_sla": [PROGRAM],
    "results:reasons": [],
    "results:import_new": [],
    "results:import_map": [Ids({"job_id": "import_job"})],
    "results:import_job": [Ids({"job_id": "import_job"})],
    "results:import_errors": [Ids({"job_id": "import_job"})],
    "webhooks:webhooks": [],
    "privacy:export": [Ids({"membership_id": "rep_membership"})],
    "privacy:erase": [Ids({"membership_id": "rep_membership"})],
}


@dataclass(frozen=True)
class Body:
    """A POST whose body names objects: field → Stock attribute(s) whose pks are posted
    (a tuple: a list of values), and the other fields a valid post needs. A field name may
    hold `{attribute}`, replaced by the pk of the poster's own object (`q{check_question}`)."""

    ids: dict[str, str | tuple[str, ...]]
    fixed: dict[str, str] | None = None
    url: Ids = Ids({})


LAUNCH = (timezone.localdate() + dt.timedelta(days=20)).isoformat()
PROGRAM_FORM = {"kind": "product_launch", "launch_date": LAUNCH, "sla_hours": "4"}

# Pages that take ids in their POST body. With the poster's own ids the post changes
# something (checked, then rolled back); with any of them foreign it changes nothing of the
# other organization and links nothing to it (checked after the walk).
BODIES: dict[str, list[Body]] = {
    "insights:remind": [Body({"program": "program", "rep": "rep_membership"})],
    "results:reject": [Body({"lead": ("lead",)}, {"reason": "not_a_fit"})],
    "results:reassign": [Body({"to": "partner_membership"}, url=Ids({"lead_id": "lead"}))],
    "results:unmatched": [Body({"program": "program", "lead": ("unmatched_lead",)})],
    "orgs:api_tokens": [Body({"revoke": "api_token"})],
    "results:reasons": [Body({"toggle": "reason"})],
    "enablement:attendance": [Body({"user": ("world.rep",)}, url=_child("item_id", "session")[0])],
    "enablement:take": [Body({"q{check_question}": ("right_choice",)}, url=PROGRAM)],
    "programs:create": [
        Body(
            {"audience": ("world.region",), "owner": "marketer_membership"},
            {"name": "Isolation", **PROGRAM_FORM},
        )
    ],
    "programs:edit": [
        Body(
            {"audience": ("world.region",), "owner": "marketer_membership"},
            {"name": "Renamed", **PROGRAM_FORM},
            url=PROGRAM,
        )
    ],
    "programs:activity_add": [
        Body(
            {"teams": ("world.region",), "owner": "marketer_membership"},
            {"kind": "roadshow", "date": LAUNCH},
            url=PROGRAM,
        )
    ],
    "programs:target_add": [
        Body({"team": "team"}, {"metric": "pipeline", "value": "5", "period": "program"}, PROGRAM)
    ],
    "programs:champion_add": [Body({"member": "partner_membership"}, url=PROGRAM)],
    "programs:asset_add": [
        Body(
            {"owner": "marketer_membership"},
            {"kind": "battlecard", "title": "Card", "url": "https://kit.example/card"},
            url=PROGRAM,
        )
    ],
    "orgs:invite": [Body({"team": "team"}, {"email": "new-rep@example.com", "role": "rep"})],
    "orgs:member_edit": [
        Body({"team": "world.region"}, {"role": "rep"}, Ids({"membership_id": "rep_membership"})),
        Body(
            {"led_teams": ("team",)},
            {"role": "sales_leader"},
            Ids({"membership_id": "rep_membership"}),
        ),
    ],
    "orgs:team_create": [
        Body({"parent": "world.region"}, {"name": "Fresh team", "channel": "direct"})
    ],
    "orgs:team_edit": [
        Body(
            {"parent": "world.partner_team"},
            {"name": "Renamed team", "channel": "direct"},
            Ids({"team_id": "team"}),
        )
    ],
    "webhooks:webhooks": [
        Body({"webhook": "webhook"}, {"action": action})
        for action in ("toggle", "rotate", "delete")
    ],
}

# GET pages that take ids in their query string: with foreign ones, no error and nothing
# of the other organization on the page.
QUERIES: dict[str, list[Body]] = {
    "programs:calendar": [Body({"team": "team"})],
    "programs:list": [Body({"team": "world.region", "owner": "marketer_membership"})],
    "orgs:team_create": [Body({"parent": "world.region"})],
    "feedback:pulse": [Body({"round": "pulse_round"}, url=PROGRAM)],
    "webhooks:webhooks": [Body({"webhook": "webhook"})],  # its delivery log
}

ROLE_KEYS = [
    (Role.OWNER, "owner"),
    (Role.MARKETER, "marketer"),
    (Role.SALES_LEADER, "leader"),
    (Role.REP, "rep"),
    (Role.PARTNER_REP, "partner"),
    (Role.VIEWER, "viewer"),
]


def strongest(world: World, perm: Perm) -> User:
    """The member with the most powerful role that has the permission."""
    for role, key in ROLE_KEYS:
        if role in PERMISSIONS[perm]:
            return getattr(world, key)  # type: ignore[no-any-return]
    raise AssertionError(f"no role has {perm}")


def resolve(stock: Stock, path: str) -> Any:
    obj: Any = stock
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def url_of(route: OrgRoute, ids: Ids, org: Organization, objects: dict[str, Any]) -> str:
    kwargs: dict[str, Any] = {"org_slug": org.slug, **(ids.constants or {})}
    kwargs |= {param: obj.pk for param, obj in objects.items()}
    return reverse(route.name, kwargs=kwargs)


def foreign_mixes(params: list[str]) -> list[frozenset[str]]:
    """Every non-empty set of parameters to fill with the other organization's ids."""
    return [frozenset(c) for n in range(1, len(params) + 1) for c in combinations(params, n)]


def in_savepoint(request: Callable[[], HttpResponseBase]) -> HttpResponseBase:
    """Make a request, then undo whatever it wrote."""
    savepoint = transaction.savepoint()
    try:
        return request()
    finally:
        transaction.savepoint_rollback(savepoint)


def tenant_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("lockstep.")]


def _rows_of(model: type[models.Model], org: Organization) -> models.QuerySet[Any] | None:
    names = {f.name for f in model._meta.get_fields()}
    manager = model._default_manager
    if model is Organization:
        return manager.filter(pk=org.pk)
    if "org" in names:
        return manager.filter(org=org)
    via = {ApiToken: "membership__org", CheckChoice: "question__org", User: "memberships__org"}
    if model in via:
        return manager.filter(**{via[model]: org})
    return None  # not an organization's (login attempts)


VOLATILE = {"last_seen_at", "last_login"}  # set by merely visiting a page


def snapshot(org: Organization) -> dict[str, list[Any]]:
    """Every row of one organization, and its many-to-many links."""
    found: dict[str, list[Any]] = {}
    for model in tenant_models():
        rows = _rows_of(model, org)
        if rows is None:
            continue
        values = [
            {k: v for k, v in row.items() if k not in VOLATILE}
            for row in rows.order_by("pk").values()
        ]
        found[model._meta.label] = values
        for field in model._meta.many_to_many:
            through = field.remote_field.through
            assert through is not None
            source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
            links = through._default_manager.filter(**{f"{source}__in": rows})
            found[f"{model._meta.label}.{field.name}"] = sorted(
                links.values_list(f"{source}_id", f"{target}_id")
            )
    return found


def changes(before: dict[str, list[Any]], after: dict[str, list[Any]]) -> list[str]:
    return [label for label in before if before[label] != after.get(label)]


def foreign_references() -> list[str]:
    """Rows of one organization that point at another organization's rows, or at people who
    are not members of their organization."""
    problems: list[str] = []
    for model in tenant_models():
        names = {f.name for f in model._meta.get_fields()}
        if "org" not in names:
            continue
        manager = model._default_manager
        for field in model._meta.concrete_fields:
            related = field.related_model
            if not field.is_relation or field.name == "org" or not isinstance(related, type):
                continue
            present = manager.exclude(**{f"{field.name}__isnull": True})
            if related is User:
                member = Membership.objects.filter(org=OuterRef("org"), user=OuterRef(field.name))
                bad = present.exclude(Exists(member))
            elif "org" in {f.name for f in related._meta.get_fields()}:
                bad = present.exclude(**{f"{field.name}__org": F("org")})
            else:
                continue
            problems += [
                f"{model.__name__} {pk}.{field.name}" for pk in bad.values_list("pk", flat=True)
            ]
        for m2m in model._meta.many_to_many:
            through = m2m.remote_field.through
            assert through is not None
            source, target = m2m.m2m_field_name(), m2m.m2m_reverse_field_name()
            links = through._default_manager.exclude(**{f"{target}__org": F(f"{source}__org")})
            problems += [
                f"{model.__name__} {pk}.{m2m.name}"
                for pk in links.values_list(f"{source}_id", flat=True)
            ]
    return problems


def walk_foreign_ids(attacker: Stock, victim: Stock) -> tuple[list[str], int]:
    """Ask the attacker's own pages for the victim's objects; return the problems and the
    number of requests made."""
    problems: list[str] = []
    requests = 0
    clients: dict[int, Client] = {}
    for route in org_routes():
        user = strongest(attacker.world, route.perm)
        client = clients.setdefault(user.pk, attacker.world.client(user))
        who = f"{attacker.org.slug} {user.email}"
        if route.name not in ROUTE_IDS:
            problems.append(f"{route.name} ({route.route}) is not in ROUTE_IDS: add it")
            continue
        for ids in ROUTE_IDS[route.name]:
            own = {p: resolve(attacker, a) for p, a in ids.objects.items()}
            theirs = {p: resolve(victim, a) for p, a in ids.objects.items()}
            own_url = url_of(route, ids, attacker.org, own)
            for method in ("get", "post"):
                send = getattr(client, method)
                control = in_savepoint(lambda: send(own_url)).status_code  # noqa: B023
                requests += 1
                if control == 404:
                    problems.append(
                        f"{method.upper()} {own_url} as {who} (own ids) gave 404: "
                        f"ROUTE_IDS[{route.name!r}] names objects this member cannot load"
                    )
                    continue
                expected = 405 if control == 405 else 404
                for foreign in foreign_mixes(list(ids.objects)):
                    mixed = {p: (theirs if p in foreign else own)[p] for p in ids.objects}
                    url = url_of(route, ids, attacker.org, mixed)
                    response = send(url)
                    requests += 1
                    if response.status_code != expected:
                        problems.append(
                            f"{method.upper()} {url} as {who} with the other organization's "
                            f"{sorted(foreign)} gave {response.status_code}, expected {expected}"
                        )
                    problems += leaks_in(response, victim, f"{method.upper()} {url} as {who}")
        for body in BODIES.get(route.name, []):
            problems += post_foreign_body(route, body, client, attacker, victim, who)
            requests += 1 + len(foreign_mixes(list(body.ids)))
        for query in QUERIES.get(route.name, []):
            url = url_of(route, query.url, attacker.org, resolve_all(attacker, query.url))
            for foreign in foreign_mixes(list(query.ids)):
                data = body_of(query, attacker, victim, foreign)
                response = client.get(url, data)
                requests += 1
                where = f"GET {url} {data} as {who}"
                if response.status_code >= 500:
                    problems.append(f"{where} gave {response.status_code}")
                problems += leaks_in(response, victim, where)
    return problems, requests


def resolve_all(stock: Stock, ids: Ids) -> dict[str, Any]:
    return {param: resolve(stock, attribute) for param, attribute in ids.objects.items()}


def names_of(stock: Stock) -> list[str]:
    """Strings that only the stock's organization's pages show."""
    w = stock.world
    people = [w.owner, w.marketer, w.leader, w.rep, w.partner, w.viewer]
    teams = [w.region, w.team, w.partner_team]
    return [
        w.org.name,
        stock.program.name,
        stock.webhook.url,
        *[t.name for t in teams],
        *[p.email for p in people],
    ]


def leaks_in(response: HttpResponseBase, victim: Stock, where: str) -> list[str]:
    if getattr(response, "streaming", False):
        return []
    content = response.content.decode(errors="replace")  # type: ignore[attr-defined]
    shown = [name for name in names_of(victim) if name in content]
    return [f"{where} shows the other organization's {shown}"] if shown else []


def body_of(body: Body, own: Stock, other: Stock, foreign: frozenset[str]) -> dict[str, Any]:
    data: dict[str, Any] = dict(body.fixed or {})
    for field_name, attributes in body.ids.items():
        source = other if field_name in foreign else own
        key = re.sub(r"\{(\w+)\}", lambda m: str(resolve(own, m.group(1)).pk), field_name)
        if isinstance(attributes, tuple):
            data[key] = [str(resolve(source, a).pk) for a in attributes]
        else:
            data[key] = str(resolve(source, attributes).pk)
    return data


def post_foreign_body(
    route: OrgRoute, body: Body, client: Client, attacker: Stock, victim: Stock, who: str
) -> list[str]:
    problems: list[str] = []
    own = {p: resolve(attacker, a) for p, a in body.url.objects.items()}
    url = url_of(route, body.url, attacker.org, own)
    valid = body_of(body, attacker, victim, frozenset())
    before = snapshot(attacker.org)

    def control() -> HttpResponseBase:
        response = client.post(url, valid)
        if not changes(before, snapshot(attacker.org)):
            problems.append(
                f"POST {url} {valid} as {who} (own ids) changed nothing "
                f"(status {response.status_code}): fix BODIES[{route.name!r}]"
            )
        return response

    in_savepoint(control)
    for foreign in foreign_mixes(list(body.ids)):
        data = body_of(body, attacker, victim, foreign)
        response = client.post(url, data)
        if response.status_code >= 500:
            problems.append(f"POST {url} {data} as {who} gave {response.status_code}")
        problems += leaks_in(response, victim, f"POST {url} {data} as {who}")
    return problems


def test_every_org_route_is_in_the_id_map() -> None:
    routes = {r.name: r for r in org_routes()}
    assert not set(ROUTE_IDS) - set(routes), "ROUTE_IDS names routes that no longer exist"
    assert not set(BODIES) - set(routes), "BODIES names routes that no longer exist"
    assert not set(QUERIES) - set(routes), "QUERIES names routes that no longer exist"
    for name, route in routes.items():
        assert name in ROUTE_IDS, (
            f"{name} ({route.route}) is not in ROUTE_IDS of tests/test_tenancy.py: say which "
            "objects its parameters name, so the isolation walk asks it for foreign ids"
        )
        for ids in ROUTE_IDS[name] or [Ids({})]:
            covered = set(ids.objects) | set(ids.constants or {})
            assert covered == set(route.params), (
                f"ROUTE_IDS[{name!r}] fills {sorted(covered)} but {route.route} takes "
                f"{sorted(route.params)}: map every URL parameter to a Stock attribute"
            )
    for name, bodies in [*BODIES.items(), *QUERIES.items()]:
        for body in bodies:
            assert set(body.url.objects) == set(routes[name].params), name


@pytest.mark.parametrize("direction", ["B asks for A's ids", "A asks for B's ids"])
def test_own_org_pages_answer_404_for_another_orgs_ids(
    stock: Stock, rival_stock: Stock, direction: str
) -> None:
    """Every org route, as the attacker organization's most powerful member the view
    allows, GET and POST, with the victim's ids in the URL (all of them, and mixed with the
    attacker's own), in POST bodies and in query strings: 404 (or the 405 own ids get too),
    nothing of the victim's on any page, and afterwards the victim's rows unchanged and no
    row of either organization pointing into the other."""
    attacker, victim = (rival_stock, stock) if direction.startswith("B") else (stock, rival_stock)
    victim_before = snapshot(victim.org)
    lead_status = victim.lead.status

    problems, requests = walk_foreign_ids(attacker, victim)

    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)
    assert requests > 300, requests
    victim.lead.refresh_from_db()
    assert victim.lead.status == lead_status
    changed = changes(victim_before, snapshot(victim.org))
    assert not changed, f"the other organization's rows changed: {changed}"
    leaks = foreign_references()
    assert not leaks, f"rows now point into another organization: {leaks}"


# --- factories ----------------------------------------------------------------------------


def _factories() -> dict[type[models.Model], type[factories.LockstepFactory]]:
    found = {}
    for value in vars(factories).values():
        if (
            isinstance(value, type)
            and issubclass(value, factories.LockstepFactory)
            and not value._meta.abstract
        ):
            found[value._meta.model] = value
    return found


@pytest.mark.parametrize("model", tenant_models(), ids=lambda m: m._meta.label)
def test_every_model_has_a_factory(db: None, model: type[models.Model]) -> None:
    factory = _factories().get(model)
    assert factory is not None, f"add a factory for {model._meta.label} to tests/factories.py"
    obj = factory()
    assert model._default_manager.filter(pk=obj.pk).exists()
    obj.full_clean()  # fields, unique and check constraints
    assert not foreign_references()


def test_factories_keep_one_organization(db: None) -> None:
    org = factories.OrganizationFactory()
    program = factories.ProgramFactory(org=org)
    target = factories.TargetFactory(program=program)
    assert target.org == program.org == target.team.org == org
    made_in_org = factories.TargetFactory(org=org)
    assert made_in_org.program.org == made_in_org.team.org == org
    question = factories.CheckQuestionFactory(org=org)
    assert question.knowledge_check.program.org == org
    assert factories.LeadFactory(program=program).org == org
    assert factories.PulseResponseFactory(round__program=program).org == org
    assert factories.TeamFactory(parent=target.team).org == org
    with pytest.raises(ValueError, match="another organization|organization"):
        factories.TargetFactory(org=factories.OrganizationFactory(), program=program)
    rejected = factories.LeadFactory(status="rejected")
    assert rejected.rejection_reason is not None
    assert rejected.rejection_reason.org == rejected.org
    assert not foreign_references()
