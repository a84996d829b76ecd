"""The role matrix, generated from the permission table: every page under /o/<org-slug>/,
as each of the six roles, GET and POST.

A role the view's permission (`@org_view(Perm.X)`, read from `callback.lockstep_perm`)
does not include gets exactly 403, from `org_view` itself (the 403 page, not a domain
rule's message). A role it includes never gets 403 (nor a server error): it gets the page,
a redirect, a form error, a 404 for an object its role filters out, or 405 for a POST-only
page asked with GET. And GET-able pages give the roles they allow 200 or a redirect, except
the few listed (with why) in GET_EXCEPTIONS.

The ids are those of objects every role may see (tests.factories.Stock: a live program
aimed at the region holding the rep's team and the partner team…); the attempt and the
lead are the asking person's own when they have one. Each request runs in a savepoint that
is rolled back, so every page sees the same data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from lockstep.core.permissions import PERMISSIONS, Perm, Role
from tests.factories import AssetFactory, Stock, TeamFactory

ROLES: list[tuple[Role, str]] = [  # role, the World attribute of the person who has it
    (Role.OWNER, "owner"),
    (Role.MARKETER, "marketer"),
    (Role.SALES_LEADER, "leader"),
    (Role.REP, "rep"),
    (Role.PARTNER_REP, "partner"),
    (Role.VIEWER, "viewer"),
]


@dataclass(frozen=True)
class OrgRoute:
    route: str
    name: str  # namespaced: "programs:detail"
    pattern: URLPattern

    @property
    def params(self) -> list[str]:
        return [p for p in re.findall(r"<(?:\w+:)?(\w+)>", self.route) if p != "org_slug"]

    @property
    def perm(self) -> Perm | None:
        return getattr(self.pattern.callback, "lockstep_perm", None)


def org_routes() -> list[OrgRoute]:
    found: list[OrgRoute] = []

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route, ":".join(n for n in (namespace, p.namespace) if n))
            elif "<slug:org_slug>" in route:
                found.append(OrgRoute(route, f"{namespace}:{p.name}" if namespace else p.name, p))

    walk(get_resolver().url_patterns, "/", "")
    return found


# URL parameter → the Stock attribute it names, wherever it appears...
PARAMS = {
    "program_id": "program",
    "team_id": "team",
    "membership_id": "rep_membership",
    "invitation_id": "invitation",
    "job_id": "import_job",
    "lead_id": "lead",  # the asker's own lead if they have one
    "attempt_id": "attempt",  # the asker's own attempt if they have one
}
# ...and the parameters whose meaning depends on the route.
ROUTE_PARAMS: dict[str, dict[str, str]] = {
    "programs:asset_open": {"item_id": "asset"},
    "programs:target_respond": {"item_id": "target"},
    "programs:training_edit": {"item_id": "module"},
    "programs:feedback_respond": {"item_id": "feedback"},
    "programs:child_delete": {"item_id": "asset", "kind": "=assets"},  # "=": a constant
    "programs:check_question_delete": {"question_id": "check_question"},
    "briefs:session_ics": {"item_id": "session"},
    "enablement:complete": {"item_id": "module"},
    "enablement:attendance": {"item_id": "session"},
    "feedback:answer": {"question_id": "rep_question"},
    "feedback:faq": {"question_id": "rep_question"},
}

# GET-able pages where a role the view allows gets neither 200 nor a redirect, on purpose:
# (route, role) → (status, why). Each entry must still happen, so the list stays true.
# Empty today: the stock gives every allowed role something to see on every GET-able page
# (the rep's and the partner rep's own attempt and certificate, a partner-visible asset, a
# program in the leader's region…). Role-filtered objects are tested on their own below.
GET_EXCEPTIONS: dict[tuple[str, str], tuple[int, str]] = {}


MISSING = 999_999_999  # an id no object has


def url_for(route: OrgRoute, stock: Stock, role_key: str, *, missing: bool = False) -> str:
    """The route filled with ids of objects the role may see (or, `missing`, with ids of
    no object at all)."""
    user = getattr(stock.world, role_key)
    kwargs: dict[str, Any] = {"org_slug": stock.org.slug}
    for param in route.params:
        attribute = ROUTE_PARAMS.get(route.name, {}).get(param) or PARAMS.get(param)
        assert attribute, (
            f"{route.name} ({route.route}): say in tests/test_permissions.py which object "
            f"<{param}> names (PARAMS or ROUTE_PARAMS)"
        )
        if attribute.startswith("="):
            kwargs[param] = attribute[1:]
        elif missing:
            kwargs[param] = MISSING
        elif attribute == "attempt":
            kwargs[param] = stock.attempts.get(user.pk, stock.attempt).pk
        elif attribute == "lead":
            kwargs[param] = stock.leads.get(user.pk, stock.lead).pk
        else:
            kwargs[param] = getattr(stock, attribute).pk
    return reverse(route.name, kwargs=kwargs)


def ask(client: Client, method: str, url: str) -> Any:
    """One request whose writes are rolled back."""
    savepoint = transaction.savepoint()
    try:
        return getattr(client, method)(url)
    finally:
        transaction.savepoint_rollback(savepoint)


def templates_of(response: Any) -> set[str]:
    return {t.name for t in getattr(response, "templates", []) if t.name}


def test_every_org_view_declares_a_permission() -> None:
    routes = org_routes()
    assert len(routes) >= 10
    missing = [r.route for r in routes if r.perm not in PERMISSIONS]
    assert not missing, f"not decorated with @org_view(Perm.X): {missing}"


def test_permission_table_covers_every_permission_and_only_known_roles() -> None:
    assert set(PERMISSIONS) == set(Perm)
    assert all(PERMISSIONS[p] <= set(Role.values) for p in Perm)
    assert {role for role, _ in ROLES} == set(Role)


def test_the_matrix_knows_every_url_parameter() -> None:
    routes = {r.name: r for r in org_routes()}
    assert not set(ROUTE_PARAMS) - set(routes), "ROUTE_PARAMS names routes that are gone"
    assert not {name for name, _ in GET_EXCEPTIONS} - set(routes)
    for route in routes.values():
        for param in route.params:
            assert param in ROUTE_PARAMS.get(route.name, {}) or param in PARAMS, (
                f"{route.name}: <{param}> is not in PARAMS or ROUTE_PARAMS"
            )


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role_key", [key for _, key in ROLES])
def test_role_matrix(stock: Stock, role_key: str, method: str) -> None:
    role = dict((key, role) for role, key in ROLES)[role_key]
    client = stock.world.client(getattr(stock.world, role_key))
    problems: list[str] = []
    seen_exceptions: set[tuple[str, str]] = set()
    for route in org_routes():
        assert route.perm is not None, f"{route.route} declares no permission"
        url = url_for(route, stock, role_key)
        response = ask(client, method, url)
        status = response.status_code
        where = f"{method.upper()} {url} ({route.name}, {route.perm}) as {role_key}"
        if role not in PERMISSIONS[route.perm]:
            if status != 403 or "403.html" not in templates_of(response):
                problems.append(f"{where}: {status}, expected the role refusal 403")
            # Refused before any lookup: the same 403 for ids of no object (nothing leaks).
            nowhere = url_for(route, stock, role_key, missing=True)
            if nowhere != url and (refused := ask(client, method, nowhere).status_code) != 403:
                problems.append(f"{method.upper()} {nowhere} as {role_key}: {refused}, not 403")
            continue
        if status == 403 or status >= 500:
            problems.append(f"{where}: {status}, but the role is allowed")
        elif method == "get" and status not in (200, 302, 405):
            expected = GET_EXCEPTIONS.get((route.name, role_key))
            if expected is None or expected[0] != status:
                problems.append(f"{where}: {status}, expected 200 or 302 (or GET_EXCEPTIONS)")
            else:
                seen_exceptions.add((route.name, role_key))
    if method == "get":
        listed = {k for k in GET_EXCEPTIONS if k[1] == role_key}
        stale = listed - seen_exceptions
        problems += [f"GET_EXCEPTIONS{k} no longer happens: remove it" for k in stale]
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("role_key", "route_name", "kwargs"),
    [
        # A partner rep may open the kit, but not an asset kept from partners.
        ("partner", "programs:asset_open", {"item_id": "internal_asset"}),
        # Reps may read their own attempts only.
        ("partner", "enablement:attempt", {"attempt_id": "rep_attempt"}),
        ("rep", "enablement:attempt", {"attempt_id": "partner_attempt"}),
        # Reps work their own leads only.
        ("rep", "results:accept", {"lead_id": "partner_lead"}),
        ("partner", "results:touch", {"lead_id": "rep_lead"}),
        # A sales leader reaches only the teams they lead.
        ("leader", "orgs:team_detail", {"team_id": "other_team"}),
        ("leader", "insights:team", {"team_id": "other_team"}),
    ],
)
def test_objects_a_role_filters_out_are_404_not_403(
    stock: Stock, role_key: str, route_name: str, kwargs: dict[str, str]
) -> None:
    world = stock.world
    objects: dict[str, Any] = {
        "internal_asset": AssetFactory(program=stock.program, partner_visible=False),
        "rep_attempt": stock.attempts[world.rep.pk],
        "partner_attempt": stock.attempts[world.partner.pk],
        "rep_lead": stock.leads[world.rep.pk],
        "partner_lead": stock.leads[world.partner.pk],
        "other_team": TeamFactory(org=world.org, name="APAC"),
    }
    url_kwargs: dict[str, Any] = {"org_slug": world.org.slug}
    if "program_id" in {r.name: r for r in org_routes()}[route_name].params:
        url_kwargs["program_id"] = stock.program.pk
    url_kwargs |= {param: objects[name].pk for param, name in kwargs.items()}
    url = reverse(route_name, kwargs=url_kwargs)
    client = world.client(getattr(world, role_key))
    method = "get" if route_name not in ("results:accept", "results:touch") else "post"
    assert ask(client, method, url).status_code == 404
    # and the same page with the role's own objects works (the 404 is the filter's)
    own: dict[str, Any] = {
        "internal_asset": stock.asset,
        "rep_attempt": stock.attempts.get(getattr(world, role_key).pk),
        "partner_attempt": stock.attempts.get(getattr(world, role_key).pk),
        "rep_lead": stock.leads.get(getattr(world, role_key).pk),
        "partner_lead": stock.leads.get(getattr(world, role_key).pk),
        "other_team": world.team,
    }
    url_kwargs |= {param: own[name].pk for param, name in kwargs.items()}
    assert ask(client, method, reverse(route_name, kwargs=url_kwargs)).status_code != 404
