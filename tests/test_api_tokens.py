"""Personal API tokens: made in the UI and on the command line, stored hashed, shown once,
last use recorded, refused once revoked or expired, rate limited per token in the database
(so every server process counts the same requests); and the error contract around them."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from lockstep.accounts.models import ApiToken
from lockstep.accounts.services import count_request, create_token, hash_token
from tests.conftest import World


def get(token: str, path: str = "/api/v1/me") -> Any:
    return Client().get(path, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_ui_makes_a_token_with_an_expiry_and_lists_last_use(world: World) -> None:
    client = world.client(world.rep)
    body = client.post("/o/acme/api-tokens/", {"name": "Phone", "expires_in_days": "30"})
    token = body.content.decode().split('data-testid="new-token">')[1].split("<")[0]
    stored = ApiToken.objects.get(name="Phone")
    assert stored.token_hash == hash_token(token) and token not in stored.prefix
    assert stored.expires_at is not None
    assert (stored.expires_at - timezone.now()).days in (29, 30)
    assert get(token).json()["role"] == "rep"
    page = client.get("/o/acme/api-tokens/").content.decode()
    assert token not in page and "Expires" in page
    stored.refresh_from_db()
    assert stored.last_used_at is not None
    bad = client.post("/o/acme/api-tokens/", {"name": "x", "expires_in_days": "0"})
    assert bad.status_code == 400


def test_revoked_and_expired_tokens_are_401_problems(world: World) -> None:
    member = world.membership(world.marketer)
    api_token, token = create_token(membership=member, name="t", expires_in_days=1)
    assert get(token).status_code == 200
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        expired = get(token)
    assert expired.status_code == 401
    assert expired["Content-Type"] == "application/problem+json"
    assert expired["WWW-Authenticate"].startswith("Bearer")
    revoked_token, other = create_token(membership=member, name="u")
    world.client(world.marketer).post("/o/acme/api-tokens/", {"revoke": revoked_token.pk})
    assert get(other).status_code == 401
    for header in ("", "Bearer", "Basic abc", f"Bearer {token}x"):
        response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=header)
        assert response.status_code == 401 and response.json()["status"] == 401


def test_a_token_acts_in_its_own_organization_only(world: World) -> None:
    _, token = create_token(membership=world.membership(world.owner), name="t")
    assert get(token).json()["organization"]["slug"] == "acme"
    outsider = world.outsider.memberships.get()
    _, other = create_token(membership=outsider, name="t")
    assert get(other).json()["organization"]["slug"] == "globex"


def test_rate_limit_answers_429_with_retry_after(world: World, settings: Any) -> None:
    settings.API_RATE_PER_MINUTE = 3
    _, token = create_token(membership=world.membership(world.viewer), name="t")
    start = timezone.now().replace(second=10, microsecond=0)
    with time_machine.travel(start, tick=False):
        assert [get(token).status_code for _ in range(3)] == [200, 200, 200]
        refused = get(token)
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/problem+json"
    assert refused["Retry-After"] == "50"
    assert refused.json()["status"] == 429
    with time_machine.travel(start + dt.timedelta(minutes=1), tick=False):
        assert get(token).status_code == 200  # a new minute, a new budget


def test_the_budget_is_counted_in_the_database(world: World) -> None:
    """Two processes counting the same token see one count: the counter is a row, updated
    in place, not memory."""
    api_token, _ = create_token(membership=world.membership(world.viewer), name="t")
    now = timezone.now()
    decisions = [count_request(api_token=api_token, limit=5, now=now) for _ in range(5)]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0]
    stale_copy = ApiToken.objects.get(pk=api_token.pk)  # another worker's view of the row
    assert not count_request(api_token=stale_copy, limit=5, now=now).allowed


def test_cli_creates_lists_and_revokes_tokens(world: World) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "token", "create", "--org", "acme", "--email", "marketer@acme.example",
        "--name", "CRM", "--expires", "90", stdout=out, stderr=err,
    )  # fmt: skip
    token = out.getvalue().strip()
    assert token.startswith("ls_") and "shown only now" in err.getvalue()
    assert get(token).json()["role"] == "marketer"
    listing = io.StringIO()
    call_command("token", "list", "--org", "acme", "--email", "marketer@acme.example",
                 stdout=listing)  # fmt: skip
    assert "CRM" in listing.getvalue() and token not in listing.getvalue()
    call_command("token", "revoke", "--org", "acme", "--email", "marketer@acme.example",
                 "--name", "CRM", stdout=io.StringIO())  # fmt: skip
    assert get(token).status_code == 401
    with pytest.raises(CommandError):
        call_command("token", "create", "--org", "globex", "--email", "marketer@acme.example",
                     "--name", "x")  # fmt: skip
    with pytest.raises(CommandError):
        call_command("token", "create", "--org", "acme", "--email", "marketer@acme.example",
                     "--name", "x", "--expires", "0")  # fmt: skip


def test_api_token_revocation_through_the_api(world: World) -> None:
    member = world.membership(world.rep)
    first, token = create_token(membership=member, name="a")
    second, _ = create_token(membership=member, name="b")
    client = Client()
    auth = {"Authorization": f"Bearer {token}"}
    names = [t["name"] for t in client.get("/api/v1/tokens", headers=auth).json()["items"]]
    assert sorted(names) == ["a", "b"]
    assert client.delete(f"/api/v1/tokens/{second.pk}", headers=auth).status_code == 204
    assert client.delete(f"/api/v1/tokens/{second.pk}", headers=auth).status_code == 404
    other, _ = create_token(membership=world.membership(world.leader), name="theirs")
    assert client.delete(f"/api/v1/tokens/{other.pk}", headers=auth).status_code == 404


# --- the error contract for bodies ---------------------------------------------------------


def post(token: str, path: str, data: Any, content_type: str = "application/json") -> Any:
    body = data if isinstance(data, str | bytes) else json.dumps(data)
    return Client().post(
        path, data=body, content_type=content_type, HTTP_AUTHORIZATION=f"Bearer {token}"
    )


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("external_id=1", "application/x-www-form-urlencoded"),
        ([], "application/json"),
        ([{"external_id": str(i)} for i in range(1001)], "application/json"),
        ({"external_id": "x" * 101}, "application/json"),
        ({"company": "no id"}, "application/json"),
        ("", "application/json"),
    ],
    ids=["invalid-json", "form-body", "empty-list", "1001-items", "long-id", "no-id", "empty"],
)
def test_bad_lead_bodies_are_400_problems_with_errors(
    world: World, body: Any, content_type: str
) -> None:
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    response = post(token, "/api/v1/leads", body, content_type)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["errors"], problem
    text = json.dumps(problem["errors"]) + problem["detail"]
    for internal in ("LeadIn", "list[", "payload", "Traceback", "lockstep.", "pydantic"):
        assert internal not in text, (internal, text)


def test_too_large_bodies_are_413_problems(world: World, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    response = post(token, "/api/v1/leads", [{"external_id": str(i)} for i in range(200)])
    assert response.status_code == 413
    assert response.json()["status"] == 413


def test_unknown_paths_and_ids_are_404_problems(world: World) -> None:
    _, token = create_token(membership=world.membership(world.owner), name="t")
    for path in ("/api/v1/nothing-here", "/api/v1/programs/999999", "/api/v1/teams/1/nope"):
        response = get(token, path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/problem+json"
    bad = get(token, "/api/v1/programs/abc")
    assert bad.status_code == 400 and bad.json()["errors"][0]["location"] == "path"
    huge = get(token, "/api/v1/programs/99999999999999999999999")
    assert huge.status_code == 400
