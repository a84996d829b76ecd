"""Hostile input never makes a server error.

A corpus of values an attacker (or a confused client) sends — digits beyond ASCII ("²",
"١٢"), ids past 64-bit range, years 1 and 9999, impossible dates and months, lone UTF-16
surrogates, NUL characters, huge and odd numbers, very long text, markup — is posted to
every page (every form field any page shows, plus the query parameters pages read), put in
every query string, and sent to every API operation (path ids, query parameters and every
value of a valid JSON body), as each of the six roles. Every answer must be below 500.

The values rotate over the fields, so each request carries a different mix, and every
field meets many values across the roles; each request runs in a savepoint that is rolled
back, so every page sees the same stocked organization. Bodies over the size limits get
413. The totals are printed (and written to test-artifacts/hostile.txt) for the closing
note of the security issue."""

from __future__ import annotations

import itertools
import json
import os
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import reverse

from lockstep.accounts.services import create_token
from lockstep.core.permissions import PERMISSIONS
from tests.factories import Stock
from tests.test_api_contract import OPERATIONS, VALID, _fill, _prepare, permission
from tests.test_permissions import ROLES, org_routes, url_for

# --- the corpus ---------------------------------------------------------------------------

SURROGATE = "\ud800"  # a lone UTF-16 surrogate: not encodable as UTF-8
CORPUS: list[str] = [
    "²", "١٢", "１２", "৭", "-1", "0", "007", " 1 ", "1.5", "1e400", "NaN", "Infinity",
    "0x10", "99999999999999999999", "9223372036854775808", "-9223372036854775809",
    str(2**64), "9999-12-31", "0001-01-01", "10000-01-01", "2026-02-30", "0000-00-00",
    "9999-12", "1-1", "0001-01", "9999-13", "2026-W05", "24:00", "99:99", "T",
    "\x00", "a\x00b", SURROGATE, "x" + SURROGATE + "y", "\udfff", "\u202etxt.exe", "𝕏🧨",
    "x" * 20_000, "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>",
    "'; DROP TABLE accounts_user; --", "../../../../etc/passwd", "%00", "%", "\\",
    "=HYPERLINK(\"http://evil.example\")", "+1+cmd|' /C calc'!A0", "", " ", "true", "null",
    "[]", "{}", "on", "emperor", "javascript:alert(1)", "//evil.example/x",
]  # fmt: skip
# Query keys pages read besides their forms' fields.
QUERY_KEYS = [
    "month", "page", "q", "role", "status", "round", "team", "owner", "kind", "action",
    "webhook", "parent", "cursor", "next", "program", "lead", "to", "limit", "as_of", "verb",
    "date", "from", "until", "sort", "period",
]  # fmt: skip
COUNTS = {"requests": 0, "values": 0, "api": 0}


def urlencoded(data: dict[str, list[str]]) -> bytes:
    """A form body as a browser would send it, except that lone surrogates go out as the
    bytes a careless client produces (CESU-8), which are not UTF-8."""
    parts = []
    for key, values in data.items():
        for value in values:
            raw = value.encode("utf-8", "surrogatepass")
            parts.append(f"{quote(key)}={quote(raw)}")
    return "&".join(parts).encode()


def query_string(data: dict[str, list[str]]) -> str:
    return urlencoded(data).decode()


def rotation(names: list[str], round_no: int, salt: int) -> dict[str, list[str]]:
    """Each field gets a value of the corpus, shifted per round and per role; one field in
    three gets two values (a list where one is expected)."""
    data: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        k = (i * 7 + round_no * 13 + salt * 5) % len(CORPUS)
        values = [CORPUS[k]]
        if (i + round_no) % 3 == 0:
            values.append(CORPUS[(k + 1) % len(CORPUS)])
        data[name] = values
    COUNTS["values"] += sum(len(v) for v in data.values())
    return data


def client_for(user: Any) -> Client:
    """A client that answers a crash with the 500 page (instead of raising), so the walk
    lists every server error rather than stopping at the first."""
    client = Client(raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def ask(client: Client, method: str, url: str, **kwargs: Any) -> Any:
    savepoint = transaction.savepoint()
    try:
        COUNTS["requests"] += 1
        return getattr(client, method)(url, **kwargs)
    finally:
        transaction.savepoint_rollback(savepoint)


FIELD = re.compile(r'<(?:input|select|textarea|button)\b[^>]*\bname="([^"]+)"')


def field_names(stock: Stock) -> list[str]:
    """Every form field name on every page any role can GET (forms of the program page post
    to section routes, so the union is posted everywhere)."""
    names: set[str] = set()
    for key in ("owner", "leader", "rep"):  # between them, every form there is
        client = client_for(getattr(stock.world, key))
        for route, url in routes(stock, key):
            if key_role(key) not in PERMISSIONS[route.perm]:
                continue
            response = ask(client, "get", url)
            if response.status_code == 200 and not getattr(response, "streaming", False):
                names |= set(FIELD.findall(response.content.decode(errors="replace")))
    names -= {"csrfmiddlewaretoken"}
    return sorted(names | set(QUERY_KEYS))


def routes(stock: Stock, role_key: str) -> Iterator[tuple[Any, str]]:
    """Every org route filled with ids the role may see (tests.test_permissions); a route
    whose parameters it cannot fill yet fails there, and is skipped here."""
    for route in org_routes():
        try:
            yield route, url_for(route, stock, role_key)
        except AssertionError:
            continue


def key_role(key: str) -> str:
    return {k: r for r, k in ROLES}[key].value


def report(line: str) -> None:
    os.makedirs("test-artifacts", exist_ok=True)
    with open("test-artifacts/hostile.txt", "a") as handle:
        handle.write(line + "\n")


@pytest.fixture(scope="module", autouse=True)
def totals(request: pytest.FixtureRequest) -> Iterator[None]:
    """The closing-note figures, on the terminal and in test-artifacts/hostile.txt."""
    yield
    line = (
        f"hostile input: corpus of {len(CORPUS)} page values, {len(HOSTILE_JSON)} JSON values "
        f"and {len(HOSTILE_IDS)} path ids; {COUNTS['requests']} requests "
        f"({COUNTS['api']} to the API) carrying {COUNTS['values']} hostile form/query values"
    )
    report(line)
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)


# --- pages --------------------------------------------------------------------------------


@pytest.mark.parametrize("role_key", [key for _, key in ROLES])
def test_no_page_answers_hostile_values_with_a_server_error(stock: Stock, role_key: str) -> None:
    names = field_names(stock) if role_key == "owner" else FIELDS_CACHE.get("names")
    if names is None:
        names = field_names(stock)
    FIELDS_CACHE["names"] = names
    client = client_for(getattr(stock.world, role_key))
    salt = [k for _, k in ROLES].index(role_key)
    failures: list[str] = []
    before = COUNTS["requests"]
    for route, url in routes(stock, role_key):
        allowed = key_role(role_key) in PERMISSIONS[route.perm]
        data = rotation(names, 0, salt)
        form = {"data": urlencoded(data), "content_type": "application/x-www-form-urlencoded"}
        attempts: list[tuple[str, dict[str, Any]]] = [
            ("get", {"QUERY_STRING": query_string(data)}),
            ("post", form),
        ]
        if allowed:  # the same values again, as htmx sends them (fragments, alert partials)
            attempts.append(("post", {**form, "HTTP_HX_REQUEST": "true"}))
        for method, kwargs in attempts:
            response = ask(client, method, url, **kwargs)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url} as {role_key}: {response.status_code}")
    report(f"pages as {role_key}: {COUNTS['requests'] - before} requests")
    assert not failures, f"{len(failures)} server error(s):\n" + "\n".join(failures[:40])


FIELDS_CACHE: dict[str, list[str]] = {}


def test_rejecting_leads_with_a_nul_in_the_reason_is_not_a_server_error(stock: Stock) -> None:
    client = client_for(stock.world.rep)
    url = reverse("results:reject", kwargs={"org_slug": stock.org.slug})
    response = client.post(url, {"lead": [str(stock.lead.pk)], "reason": "not\x00a_fit"})
    assert response.status_code < 500


OUTSIDE = [
    "/", "/accounts/login/", "/accounts/login/code/", "/accounts/two-factor/",
    "/accounts/password-reset/", "/accounts/reset/²/set-password/", "/accounts/reset/MQ/x-y/",
    "/accounts/invitation/%00/", "/accounts/invitation/" + "x" * 300 + "/", "/healthz",
    "/api/v1/", "/api/v1/docs", "/o/%00/", "/o/²/programs/",
]  # fmt: skip
FORM_KEYS = [
    "username", "password", "email", "code", "action", "next", "first_name", "last_name",
    "password1", "password2", "new_password1", "new_password2",
]  # fmt: skip


@pytest.mark.parametrize("who", ["anonymous", "rep"])
def test_pages_outside_organizations_take_hostile_values(stock: Stock, who: str) -> None:
    user = None if who == "anonymous" else stock.world.rep
    client = client_for(user)
    failures = []
    for url, round_no in itertools.product(OUTSIDE, range(4)):
        data = rotation(FORM_KEYS + QUERY_KEYS[:6], round_no, 3)
        for method, kwargs in (
            ("get", {"QUERY_STRING": query_string(data)}),
            (
                "post",
                {"data": urlencoded(data), "content_type": "application/x-www-form-urlencoded"},
            ),
        ):
            response = ask(client, method, url, **kwargs)
            if response.status_code >= 500:
                failures.append(f"{method.upper()} {url} as {who}: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_a_body_over_the_limit_is_413_on_pages(stock: Stock) -> None:
    client = stock.world.client(stock.world.marketer)
    url = reverse("programs:create", kwargs={"org_slug": stock.org.slug})
    big = b"name=" + b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10)
    response = client.post(url, data=big, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert "too large" in response.content.decode().lower()


# --- the API ------------------------------------------------------------------------------

HOSTILE_IDS = ["²", "99999999999999999999", "-1", "0", "1e3", "%00", "abc"]
HOSTILE_JSON: list[Any] = [
    SURROGATE, "a\x00b", "x" * 20_000, "²", "9999-12-31", "0001-01-01", "2026-02-30",
    2**64, -(2**63) - 1, 1e308, -1, 0, True, None, [], {}, [SURROGATE], {"\x00": SURROGATE},
    "<script>alert(1)</script>", "=HYPERLINK(\"http://evil.example\")", "9999-12-31T23:59:59Z",
]  # fmt: skip


PER_LEAF = 3  # more hostile values per value of a body, per role (rotating over the roles)


def leaves(body: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(body, dict):
        for key, value in body.items():
            yield from leaves(value, (*path, key))
    elif isinstance(body, list) and body:
        for index, value in enumerate(body):
            yield from leaves(value, (*path, index))
    else:
        yield path


def replaced(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copy: Any = json.loads(json.dumps(body))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def hostile_bodies(body: Any, salt: int) -> list[Any]:
    """Each leaf of a valid body replaced by a hostile value (rotating), the body's keys
    all hostile at once, and a surrogate key."""
    out = []
    for i, path in enumerate(leaves(body)):
        values = [SURROGATE, "a\x00b"] + [
            HOSTILE_JSON[(i * 5 + salt * PER_LEAF + j) % len(HOSTILE_JSON)] for j in range(PER_LEAF)
        ]
        out += [replaced(body, path, value) for value in values]
    if isinstance(body, dict):
        out.append({k: HOSTILE_JSON[(j + salt) % len(HOSTILE_JSON)] for j, k in enumerate(body)})
        out.append({**body, SURROGATE: 1})
    out.append(HOSTILE_JSON[salt % len(HOSTILE_JSON)])
    return out


def api_query_params(key: tuple[str, str]) -> list[str]:
    from tests.test_api_contract import operation

    return [p["name"] for p in operation(*key).get("parameters", []) if p.get("in") == "query"]


@pytest.mark.parametrize("role_key", [key for _, key in ROLES])
def test_no_api_operation_answers_hostile_values_with_a_server_error(
    stock: Stock, role_key: str, settings: Any
) -> None:
    settings.API_RATE_PER_MINUTE = 1_000_000
    user = getattr(stock.world, role_key)
    _, token = create_token(membership=stock.world.membership(user), name="hostile")
    client = Client(headers={"Authorization": f"Bearer {token}"}, raise_request_exception=False)
    salt = [k for _, k in ROLES].index(role_key)
    failures: list[str] = []
    before = COUNTS["requests"]
    for key in OPERATIONS:
        method, path = key
        allowed = key_role(role_key) in PERMISSIONS[permission(*key)]
        savepoint = transaction.savepoint()
        try:
            _prepare(key, stock)
            url = _fill(path, stock, user, method)
            body = VALID.get(key)
            body = body(stock) if callable(body) else body
        finally:
            transaction.savepoint_rollback(savepoint)
        requests: list[tuple[str, dict[str, Any]]] = []
        # ids in the path
        for i, hostile in enumerate(HOSTILE_IDS if allowed else HOSTILE_IDS[:2]):
            if "{" in path:
                parts = url.split("/")
                numeric = [j for j, p in enumerate(parts) if p.isdigit()]
                parts[numeric[(i + salt) % len(numeric)]] = quote(hostile)
                requests.append(("/".join(parts), {}))
        # the query
        names = api_query_params(key)
        for round_no in range(2 if allowed and names else 0):
            data = rotation(names, round_no, salt)
            requests.append((url + "?" + query_string(data), {}))
        # the body
        if body is not None and method != "GET":
            for hostile_body in hostile_bodies(body, salt)[: None if allowed else 2]:
                text = json.dumps(hostile_body)  # ensure_ascii: "\ud800" stays an escape
                requests.append((url, {"data": text, "content_type": "application/json"}))
            requests.append((url, {"data": '{"a": 1', "content_type": "application/json"}))
            requests.append((url, {"data": b"\xff\xfe\x00", "content_type": "application/json"}))
        elif method != "GET":
            requests.append(
                (url, {"data": json.dumps({"x": SURROGATE}), "content_type": "application/json"})
            )
        for target, kwargs in requests:
            response = ask(client, method.lower(), target, **kwargs)
            COUNTS["api"] += 1
            if response.status_code >= 500:
                sent = str(kwargs.get("data", ""))[:120]
                failures.append(
                    f"{method} {target[:160]} {sent} as {role_key}: {response.status_code}"
                )
    report(f"API as {role_key}: {COUNTS['requests'] - before} requests")
    assert not failures, f"{len(failures)} server error(s):\n" + "\n".join(failures[:40])


def test_an_api_body_over_the_limit_is_a_413_problem(stock: Stock) -> None:
    _, token = create_token(membership=stock.world.membership(stock.world.marketer), name="big")
    client = Client(headers={"Authorization": f"Bearer {token}"})
    big = json.dumps(
        [{"external_id": "x", "company": "y" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}]
    )
    response = client.post("/api/v1/leads", data=big, content_type="application/json")
    assert response.status_code == 413, response.content[:300]
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("month", ["9999-12", "0001-01", "1-1", "9999-13", "²０２６-01"])
def test_the_calendar_takes_any_month(stock: Stock, month: str) -> None:
    client = client_for(stock.world.marketer)
    url = reverse("programs:calendar", kwargs={"org_slug": stock.org.slug})
    assert client.get(url, {"month": month}).status_code == 200


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "2199-12-31"])
def test_plan_dates_stay_where_pages_can_count_from_them(
    stock: Stock, day: str, settings: Any
) -> None:
    """A program launching on 9999-12-31 or 0001-01-01 broke the pages that count days and
    months from it (training due, the calendar, the rep's home): such dates are refused
    where they come in, by the forms and the API alike (2000 to 2199)."""
    settings.API_RATE_PER_MINUTE = 1_000_000
    marketer = client_for(stock.world.marketer)
    url = reverse(
        "programs:edit", kwargs={"org_slug": stock.org.slug, "program_id": stock.program.pk}
    )
    form = {
        "name": "Dated",
        "kind": "campaign",
        "sla_hours": "4",
        "launch_date": day,
        "end_date": day,
    }
    response = ask(marketer, "post", url, data={**form, "audience": [str(stock.world.region.pk)]})
    _, token = create_token(membership=stock.world.membership(stock.world.marketer), name="d")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    patched = ask(
        api, "patch", f"/api/v1/programs/{stock.program.pk}",
        data=json.dumps({"launch_date": day, "end_date": day}), content_type="application/json",
    )  # fmt: skip
    if day.startswith("2199"):
        assert response.status_code == 302 and patched.status_code == 200
    else:
        assert response.status_code == 400 and "between 2000 and 2199" in response.content.decode()
        assert patched.status_code == 400 and "between 2000 and 2199" in patched.content.decode()
