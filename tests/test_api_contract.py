"""Every operation of the OpenAPI document, four ways: the role the permission table allows
succeeds, a role without the permission gets a 403 problem, a member of another
organization asking for this organization's ids gets a 404 problem, and a bad body gets a
400 problem that names the bad fields. A new operation fails until it has a case here."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from lockstep.accounts.models import User
from lockstep.accounts.services import create_token
from lockstep.api.common import PERMISSION_KEY
from lockstep.api.urls import api
from lockstep.core.permissions import PERMISSIONS, Perm
from lockstep.enablement.models import CheckAttempt
from lockstep.orgs.models import Membership
from lockstep.programs.models import ProgramStatus
from lockstep.webhooks.models import Webhook
from tests.factories import CheckAttemptFactory, Stock, TeamFactory, attempt_order

SCHEMA = api.get_openapi_schema()
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in SCHEMA["paths"].items()
    for method in item
    if method in ("get", "post", "put", "patch", "delete")
)
ROLES = ["owner", "marketer", "leader", "rep", "partner", "viewer"]
ROLE_VALUE = {
    "owner": "owner", "marketer": "marketer", "leader": "sales_leader", "rep": "rep",
    "partner": "partner_rep", "viewer": "viewer",
}  # fmt: skip
TOMORROW = (dt.datetime.now(dt.UTC).date() + dt.timedelta(days=1)).isoformat()


def operation(method: str, path: str) -> dict[str, Any]:
    return SCHEMA["paths"][path][method.lower()]  # type: ignore[no-any-return]


def permission(method: str, path: str) -> Perm:
    return Perm(operation(method, path)[PERMISSION_KEY])


def roles_with(perm: Perm) -> list[str]:
    return [r for r in ROLES if ROLE_VALUE[r] in PERMISSIONS[perm]]


# --- what a valid call of each operation looks like ---------------------------------------

Body = dict[str, Any] | list[Any] | Callable[[Stock], Any] | None


def _rep_member(s: Stock) -> int:
    return s.rep_membership.pk


VALID: dict[tuple[str, str], Body] = {
    ("PATCH", "/api/v1/organization"): {"readiness_threshold": 70, "time_zone": "Europe/Paris"},
    ("POST", "/api/v1/teams"): lambda s: {"name": "New team", "parent_id": s.world.region.pk},
    ("PATCH", "/api/v1/teams/{team_id}"): {"name": "Renamed team"},
    ("PATCH", "/api/v1/members/{member_id}"): lambda s: {"role": "rep", "team_id": s.team.pk},
    ("POST", "/api/v1/invitations"): lambda s: {
        "email": "new@acme.example",
        "role": "rep",
        "team_id": s.team.pk,
    },
    ("POST", "/api/v1/rejection-reasons"): {"label": "Competitor customer"},
    ("POST", "/api/v1/programs"): lambda s: {
        "name": "Via API",
        "kind": "campaign",
        "audience_team_ids": [s.world.region.pk],
        "launch_date": TOMORROW,
        "campaign_codes": ["API-1"],
    },  # fmt: skip
    ("PATCH", "/api/v1/programs/{program_id}"): {"name": "Renamed", "sla_hours": 8},
    ("POST", "/api/v1/programs/{program_id}/archive"): {"archived": True},
    ("POST", "/api/v1/programs/{program_id}/transitions"): {"to": "closed"},
    ("POST", "/api/v1/programs/{program_id}/activities"): lambda s: {
        "kind": "roadshow",
        "date": TOMORROW,
        "team_ids": [s.team.pk],
    },
    ("POST", "/api/v1/programs/{program_id}/endorsements"): {"comment": "Go"},
    ("POST", "/api/v1/programs/{program_id}/champions"): lambda s: {
        "member_id": s.partner_membership.pk
    },
    ("POST", "/api/v1/programs/{program_id}/champions/audience"): lambda s: {
        "picks": [{"team_id": s.world.partner_team.pk, "member_id": s.partner_membership.pk}]
    },
    ("POST", "/api/v1/programs/{program_id}/feedback"): {"body": "Shorter talk track, please."},
    ("POST", "/api/v1/programs/{program_id}/feedback/{item_id}/response"): {
        "response": "Done",
        "addressed": True,
    },
    ("PUT", "/api/v1/programs/{program_id}/wiifm"): {
        "wiifm": "Double pay",
        "incentive_kind": "spiff",
        "incentive_amount": "250.00",
        "incentive_currency": "EUR",
    },  # fmt: skip
    ("POST", "/api/v1/programs/{program_id}/targets"): lambda s: {
        "team_id": s.team.pk,
        "metric": "pipeline",
        "value": "5000",
        "period": "quarter",
    },
    ("POST", "/api/v1/programs/{program_id}/targets/audience"): {
        "metric": "meetings",
        "value": "10",
        "period": "quarter",
        "split": "equal",
    },
    ("POST", "/api/v1/programs/{program_id}/targets/{item_id}/response"): {
        "status": "acknowledged"
    },
    ("POST", "/api/v1/programs/{program_id}/training"): {
        "kind": "self_paced",
        "title": "Deep dive",
        "duration_minutes": 15,
        "content_url": "https://learn.example/deep",
    },  # fmt: skip
    ("PATCH", "/api/v1/programs/{program_id}/training/{item_id}"): {"title": "Module v2"},
    ("POST", "/api/v1/programs/{program_id}/training/{item_id}/attendance"): lambda s: {
        "member_ids": [s.rep_membership.pk]
    },
    ("PUT", "/api/v1/programs/{program_id}/check"): {"pass_mark": 70, "attempts_allowed": 4},
    ("POST", "/api/v1/programs/{program_id}/check/questions"): {
        "text": "Who buys?",
        "kind": "single",
        "choices": [{"text": "CFOs", "correct": True}, {"text": "Nobody"}],
    },  # fmt: skip
    ("POST", "/api/v1/programs/{program_id}/check/attempts/{attempt_id}/answers"): lambda s: {
        "answers": {str(s.check_question.pk): [s.right_choice.pk]}
    },
    ("PATCH", "/api/v1/programs/{program_id}/pulse"): {"anonymous": True, "day_offset": 14},
    ("POST", "/api/v1/programs/{program_id}/pulse/answers"): {
        "understand": 5,
        "helps": 4,
        "next_steps": 3,
        "comment": "Good",
    },
    ("POST", "/api/v1/programs/{program_id}/questions"): {"body": "Is there a demo script?"},
    ("POST", "/api/v1/programs/{program_id}/questions/{question_id}/answer"): {
        "answer": "Yes, in the kit."
    },
    ("PUT", "/api/v1/programs/{program_id}/questions/{question_id}/faq"): {
        "faq_question": "Is there a demo?",
        "faq_answer": "Yes.",
    },
    ("POST", "/api/v1/leads"): [{"external_id": "API-1", "company": "Initech"}],
    ("POST", "/api/v1/leads/{lead_id}/touches"): {"kind": "call", "note": "Left a message"},
    ("POST", "/api/v1/leads/{lead_id}/reject"): {"reason": "not_a_fit"},
    ("POST", "/api/v1/leads/{lead_id}/reassign"): lambda s: {
        "member_id": Membership.objects.get(org=s.org, user=s.world.rep).pk
    },
    ("POST", "/api/v1/leads/assign"): lambda s: {
        "program_id": s.program.pk,
        "lead_ids": [s.unmatched_lead.pk],
    },
    ("POST", "/api/v1/webhooks"): {
        "url": "https://hooks.example.com/lockstep",
        "events": ["program.launched"],
    },
    ("PATCH", "/api/v1/webhooks/{webhook_id}"): {"format": "slack"},
}
MULTIPART = {
    ("POST", "/api/v1/programs/{program_id}/assets"): {
        "kind": "battlecard", "title": "Card", "url": "https://kit.example/card",
    },
}  # fmt: skip
# The role that shows the operation working (default: the first role with the permission).
ACTOR: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/leads/{lead_id}/reassign"): "leader",
}
# Where the stock's state calls for another success status than the documented first one.
SUCCESS: dict[tuple[str, str], int] = {
    ("GET", "/api/v1/programs/{program_id}/assets/{item_id}/download"): 302,
}


def _prepare(key: tuple[str, str], s: Stock) -> None:
    """Put the stock in the state the operation needs to succeed."""
    method, path = key
    if path.endswith("/feedback") and method == "POST":
        s.program.status = ProgramStatus.PREVIEW
        s.program.save(update_fields=["status"])
    if path.endswith("/endorsements"):
        s.program.endorsements.all().delete()
    if path.endswith("/targets/{item_id}/response"):
        s.target.team = s.world.team
        s.target.save(update_fields=["team"])
    if "{question_id}/faq" in path or path.endswith("/answer"):
        s.rep_question.answer, s.rep_question.answered_at = "Yes", s.program.created_at
        s.rep_question.save()
    if path.endswith("/check/attempts") and method == "POST":
        CheckAttempt.objects.filter(user=s.world.rep).delete()
    if "{attempt_id}/answers" in path:
        CheckAttempt.objects.filter(user=s.world.rep).delete()


def _fill(path: str, s: Stock, user: User, method: str = "GET") -> str:
    parts = path.split("/")
    out = []
    for i, part in enumerate(parts):
        if not part.startswith("{"):
            out.append(part)
            continue
        before = parts[i - 1]
        name = part.strip("{}")
        if (method, path) == ("DELETE", "/api/v1/teams/{team_id}"):
            out.append(str(TeamFactory(org=s.org).pk))
            continue
        out.append(str(_id_for(name, before, path, s, user)))
    return "/".join(out)


def _id_for(name: str, before: str, path: str, s: Stock, user: User) -> int:
    if name == "program_id":
        return s.program.pk
    if name == "item_id":
        by_section = {
            "activities": s.activity, "champions": s.champion, "targets": s.target,
            "assets": s.asset, "feedback": s.feedback,
            "training": s.session if path.endswith("/attendance") else s.module,
        }  # fmt: skip
        return int(by_section[before].pk)
    if name == "question_id":
        return s.check_question.pk if "/check/" in path else s.rep_question.pk
    if name == "attempt_id":
        if path.endswith("/answers"):
            open_attempt = CheckAttemptFactory(
                knowledge_check=s.check, user=s.world.rep, submitted_at=None, score=None,
                passed=None, order=attempt_order(s.check),
            )  # fmt: skip
            return int(open_attempt.pk)
        return s.attempt.pk
    simple: dict[str, Any] = {
        "lead_id": s.lead, "team_id": s.team, "member_id": s.partner_membership,
        "invitation_id": s.invitation, "reason_id": s.reason,
    }  # fmt: skip
    if name in simple:
        return int(simple[name].pk)
    if name == "token_id":
        token, _ = create_token(membership=Membership.objects.get(org=s.org, user=user), name="x")
        return token.pk
    if name == "webhook_id":
        webhook = Webhook.objects.filter(org=s.org).first() or Webhook.objects.create(
            org=s.org, url="https://hooks.example.com/x", events=["check.passed"], secret="s"
        )
        return int(webhook.pk)
    raise AssertionError(f"add an id for {{{name}}} in tests/test_api_contract.py")


def call(
    s: Stock, user: User, key: tuple[str, str], body: Any = None, *, org_stock: Stock | None = None
) -> Any:
    """Call the operation as `user` (a member of `org_stock`'s organization, by default
    `s`'s), naming `s`'s objects."""
    method, path = key
    home = (org_stock or s).org
    membership = Membership.objects.get(org=home, user=user)
    _, token = create_token(membership=membership, name="test")
    url = _fill(path, s, user, method)
    headers = {"Authorization": f"Bearer {token}"}
    client = Client()
    if key in MULTIPART and body is not None:
        return client.post(url, data=body, headers=headers)
    if body is None:
        return getattr(client, method.lower())(url, headers=headers)
    return getattr(client, method.lower())(
        url, data=json.dumps(body), content_type="application/json", headers=headers
    )


def valid_body(key: tuple[str, str], s: Stock) -> Any:
    if key in MULTIPART:
        return MULTIPART[key]
    body = VALID.get(key)
    return body(s) if callable(body) else body


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"] == "application/problem+json"
    problem: dict[str, Any] = response.json()
    assert problem["status"] == status
    assert {"type", "title", "detail", "errors"} <= set(problem)
    return problem


def has_body(key: tuple[str, str]) -> bool:
    return "requestBody" in operation(*key)


def test_every_operation_with_a_body_has_a_valid_example() -> None:
    missing = [k for k in OPERATIONS if has_body(k) and k not in VALID and k not in MULTIPART]
    assert not missing, f"add VALID bodies for {missing}"


def test_every_operation_declares_a_permission_and_its_problems() -> None:
    for key in OPERATIONS:
        op = operation(*key)
        assert op[PERMISSION_KEY] in {p.value for p in Perm}, key
        codes = set(op["responses"])
        assert {"400", "401", "403", "404", "429"} <= {str(c) for c in codes}, key
        for code, response in op["responses"].items():
            if str(code).startswith("4"):
                assert list(response["content"]) == ["application/problem+json"], (key, code)


@pytest.mark.parametrize("key", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_allowed_role_succeeds(stock: Stock, key: tuple[str, str]) -> None:
    perm = permission(*key)
    role = ACTOR.get(key) or roles_with(perm)[0]
    user = getattr(stock.world, role)
    _prepare(key, stock)
    response = call(stock, user, key, valid_body(key, stock))
    documented = [int(c) for c in operation(*key)["responses"] if str(c).startswith(("2", "3"))]
    expected = SUCCESS.get(key, documented[0])
    assert response.status_code == expected, (role, response.status_code, response.content[:500])


@pytest.mark.parametrize("key", OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_wrong_role_is_403(stock: Stock, key: tuple[str, str]) -> None:
    perm = permission(*key)
    refused = [r for r in ROLES if r not in roles_with(perm)]
    if not refused:
        pytest.skip(f"every role has {perm.name}")
    for role in refused:
        response = call(stock, getattr(stock.world, role), key, valid_body(key, stock))
        assert_problem(response, 403)


@pytest.mark.parametrize(
    "key",
    [k for k in OPERATIONS if "{" in k[1] and "{token_id}" not in k[1]],
    ids=[f"{m} {p}" for m, p in OPERATIONS if "{" in p and "{token_id}" not in p],
)
def test_another_organizations_ids_are_404(
    stock: Stock, rival_stock: Stock, key: tuple[str, str]
) -> None:
    """The rival organization's member with the same role asks for this organization's
    objects: 404, as if they did not exist."""
    perm = permission(*key)
    role = ACTOR.get(key) or roles_with(perm)[0]
    _prepare(key, stock)
    attacker = getattr(rival_stock.world, role)
    response = call(stock, attacker, key, valid_body(key, stock), org_stock=rival_stock)
    assert_problem(response, 404)


BAD_BODIES: list[Any] = [{"unknown": 1, "name": 7, "kind": "??"}, [], "text", 12]


@pytest.mark.parametrize(
    "key",
    [k for k in OPERATIONS if has_body(k) and k not in MULTIPART],
    ids=[f"{m} {p}" for m, p in OPERATIONS if has_body((m, p)) and (m, p) not in MULTIPART],
)
def test_bad_payload_is_a_400_problem_with_field_errors(stock: Stock, key: tuple[str, str]) -> None:
    perm = permission(*key)
    role = ACTOR.get(key) or roles_with(perm)[0]
    user = getattr(stock.world, role)
    _prepare(key, stock)
    good = valid_body(key, stock)
    bad: Any = {k: {"nested": ["junk"]} for k in good} if isinstance(good, dict) else [{"x": 1}]
    for body in [bad, *BAD_BODIES]:
        response = call(stock, user, key, body)
        problem = assert_problem(response, 400)
        assert problem["errors"], (body, problem)
        for error in problem["errors"]:
            assert {"location", "field", "pointer", "message"} <= set(error)
            assert "Schema" not in error["message"] and "lockstep" not in error["message"]


def test_multipart_upload_with_a_bad_file_names_the_field(stock: Stock) -> None:
    key = ("POST", "/api/v1/programs/{program_id}/assets")
    evil = SimpleUploadedFile("run.exe", b"MZ", content_type="application/octet-stream")
    response = call(stock, stock.world.marketer, key, {"kind": "demo", "title": "x", "file": evil})
    problem = assert_problem(response, 400)
    assert [e["field"] for e in problem["errors"]] == ["file"]
