"""The isolation crawler, every route × every role × GET and POST, pages and API.

Two stocked organizations, A (Acme) and B (Globex), each with one person per role. Each
member of B, whatever their role, asks B's own pages for A's objects (every URL parameter
filled with A's ids), GET and POST, and calls every API operation that names objects with
A's ids (its documented method, and GET): a role with the route's permission gets 404 —
as if the object did not exist —, a role without it gets 403 before any lookup (so the
same answer whatever the id). Nothing of A may appear in any answer. Inside one
organization, objects a role may not see (an internal asset for a partner rep, another
rep's lead or attempt, a team the leader does not lead) are 404 through the API too.

tests/test_tenancy.py walks the mixes (own program, foreign child…) and POST bodies as the
strongest role; tests/test_permissions.py the allowed/refused matrix with visible objects;
tests/test_api_contract.py the four cases of each operation. A new page or operation fails
here (or there) until its parameters are mapped."""

from __future__ import annotations

import json
import os
import re
from typing import Any

from django.db import transaction
from django.test import Client
from django.urls import reverse

from lockstep.accounts.services import create_token
from lockstep.core.permissions import PERMISSIONS
from lockstep.orgs.models import Membership
from tests.factories import AssetFactory, Stock, TeamFactory
from tests.test_api_contract import MULTIPART, OPERATIONS, VALID, _fill, _prepare, permission
from tests.test_permissions import ROLES
from tests.test_tenancy import ROUTE_IDS, leaks_in, org_routes, resolve

TOTALS: dict[str, int] = {}


def record(name: str, count: int) -> None:
    TOTALS[name] = count
    os.makedirs("test-artifacts", exist_ok=True)
    with open("test-artifacts/isolation.txt", "a") as handle:
        handle.write(f"{name}: {count}\n")


def ask(client: Client, method: str, url: str, **kwargs: Any) -> Any:
    savepoint = transaction.savepoint()
    try:
        return getattr(client, method)(url, **kwargs)
    finally:
        transaction.savepoint_rollback(savepoint)


def test_every_page_as_every_role_of_another_organization_is_404_or_403(
    stock: Stock, rival_stock: Stock
) -> None:
    attacker, victim = rival_stock, stock
    problems: list[str] = []
    asked = 0
    routes = [r for r in org_routes() if r.name in ROUTE_IDS]  # unmapped: test_tenancy fails
    for role, key in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(getattr(attacker.world, key))
        allowed_role = role.value
        for route in routes:
            for ids in ROUTE_IDS[route.name] or []:
                kwargs: dict[str, Any] = {"org_slug": attacker.org.slug, **(ids.constants or {})}
                kwargs |= {p: resolve(victim, a).pk for p, a in ids.objects.items()}
                url = reverse(route.name, kwargs=kwargs)
                allowed = allowed_role in PERMISSIONS[route.perm]
                for method in ("get", "post"):
                    response = ask(client, method, url)
                    asked += 1
                    status = response.status_code
                    # 405: a method the page does not take, refused before any lookup
                    ok = {404, 405} if allowed else {403}
                    if status not in ok:
                        problems.append(f"{method.upper()} {url} as B's {key}: {status}, not {ok}")
                    problems += leaks_in(response, victim, f"{method.upper()} {url} as {key}")
    record("pages: route-and-ids x role x method requests with the other org's ids", asked)
    assert asked >= 6 * 2 * len([r for r in routes if ROUTE_IDS[r.name]])
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:50])


def _tokens(stock: Stock) -> dict[str, str]:
    tokens = {}
    for _, key in ROLES:
        membership = Membership.objects.get(org=stock.org, user=getattr(stock.world, key))
        tokens[key] = create_token(membership=membership, name="crawler")[1]
    return tokens


def _send(token: str, method: str, url: str, body: Any) -> Any:
    client = Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)
    if body is None or method == "GET":
        return ask(client, method.lower(), url)
    return ask(client, method.lower(), url, data=json.dumps(body), content_type="application/json")


def _send_form(token: str, url: str, data: dict[str, Any]) -> Any:
    client = Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)
    return ask(client, "post", url, data=data)


def test_every_api_operation_as_every_role_of_another_organization_is_404_or_403(
    stock: Stock, rival_stock: Stock, settings: Any
) -> None:
    settings.API_RATE_PER_MINUTE = 1_000_000
    attacker, victim = rival_stock, stock
    tokens = _tokens(attacker)
    problems: list[str] = []
    asked = 0
    keyed = [k for k in OPERATIONS if "{" in k[1] and "{token_id}" not in k[1]]
    for key in keyed:
        method, path = key
        savepoint = transaction.savepoint()
        try:
            _prepare(key, victim)
            url = _fill(path, victim, victim.world.owner, method)
            body = VALID.get(key)
            body = body(victim) if callable(body) else body
        finally:
            transaction.savepoint_rollback(savepoint)
        for role, role_key in ROLES:
            for verb in {method, "GET"}:
                operation = (verb, path)
                if key in MULTIPART and verb == method:
                    response = _send_form(tokens[role_key], url, MULTIPART[key])
                else:
                    response = _send(tokens[role_key], verb, url, body if verb == method else None)
                asked += 1
                status = response.status_code
                if operation in OPERATIONS:  # the GET may be another operation on the path
                    allowed = role.value in PERMISSIONS[permission(*operation)]
                    expected = {404 if allowed else 403}
                else:
                    expected = {405}
                if status not in expected:
                    problems.append(f"{verb} {url} as B's {role_key}: {status}, not {expected}")
                if status < 500:
                    problems += leaks_in(response, victim, f"{verb} {url} as {role_key}")
    record("API: operations-with-ids x role x method calls with the other org's ids", asked)
    assert asked >= len(keyed) * 6
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems[:50])


def test_through_the_api_objects_a_role_may_not_see_are_404(stock: Stock, settings: Any) -> None:
    settings.API_RATE_PER_MINUTE = 1_000_000
    w, p = stock.world, stock.program.pk
    tokens = _tokens(stock)
    internal = AssetFactory(program=stock.program, partner_visible=False)
    apac = TeamFactory(org=w.org, name="APAC")
    rep_lead, partner_lead = stock.leads[w.rep.pk], stock.leads[w.partner.pk]
    rep_attempt, partner_attempt = stock.attempts[w.rep.pk], stock.attempts[w.partner.pk]
    cases = [
        ("partner", "GET", f"/api/v1/programs/{p}/assets/{internal.pk}/download", stock.asset),
        ("rep", "POST", f"/api/v1/leads/{partner_lead.pk}/accept", rep_lead),
        ("partner", "POST", f"/api/v1/leads/{rep_lead.pk}/touches", partner_lead),
        (
            "partner",
            "GET",
            f"/api/v1/programs/{p}/check/attempts/{rep_attempt.pk}",
            partner_attempt,
        ),
        ("rep", "GET", f"/api/v1/programs/{p}/check/attempts/{partner_attempt.pk}", rep_attempt),
        ("leader", "GET", f"/api/v1/teams/{apac.pk}", w.team),
    ]
    documented = {path for _, path in OPERATIONS}
    problems = []
    for role_key, method, url, own in cases:
        template = re.sub(r"/\d+", "/{}", url)
        assert any(re.sub(r"\{\w+\}", "{}", d) == template for d in documented), url
        body = {"kind": "call"} if url.endswith("/touches") else None
        hidden = _send(tokens[role_key], method, url, body).status_code
        own_url = url.rsplit("/", 1)[0] if method == "POST" else url
        if method == "POST":
            own_url = re.sub(r"/\d+/(accept|touches)$", f"/{own.pk}/\\1", url)
        else:
            own_url = re.sub(r"/\d+(/download)?$", f"/{own.pk}\\1", url)
        visible = _send(tokens[role_key], method, own_url, body).status_code
        if hidden != 404 or visible == 404:
            problems.append(f"{method} {url} as {role_key}: {hidden} (own object: {visible})")
    assert not problems, "\n".join(problems)
