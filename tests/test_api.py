"""The inbound leads API: token auth, single and batch, idempotency, all-or-nothing."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from lockstep.accounts.models import ApiToken
from lockstep.accounts.services import create_token
from lockstep.results.models import Lead
from tests.conftest import World
from tests.scenarios import make_program


def post(token: str, payload: Any) -> Any:
    return Client().post(
        "/api/v1/leads", data=json.dumps(payload), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip


def test_token_is_shown_once_and_stored_hashed(world: World) -> None:
    client = world.client(world.marketer)
    body = client.post("/o/acme/api-tokens/", {"name": "CRM sync"}).content.decode()
    token = body.split('data-testid="new-token">')[1].split("<")[0]
    assert token.startswith("ls_")
    stored = ApiToken.objects.get()
    assert stored.token_hash != token and token not in stored.prefix + stored.token_hash
    assert token not in client.get("/o/acme/api-tokens/").content.decode()
    client.post("/o/acme/api-tokens/", {"revoke": stored.pk})
    assert post(token, {"external_id": "x"}).status_code == 401


def test_single_and_batch_are_idempotent(world: World) -> None:
    make_program(world, campaign_codes=["ATLAS"])
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    one = post(
        token,
        {
            "external_id": "W1",
            "company": "Web Co",
            "owner": "rep@acme.example",
            "campaign": "atlas",
        },
    )
    counts = {k: one.json()[k] for k in ("created", "updated", "unchanged")}
    assert one.status_code == 200 and counts == {"created": 1, "updated": 0, "unchanged": 0}
    lead = Lead.objects.get(external_id="W1")
    assert lead.rep == world.rep and lead.program and lead.program.campaign_codes == ["ATLAS"]
    batch = [
        {
            "external_id": "W1",
            "company": "Web Co",
            "owner": "rep@acme.example",
            "campaign": "atlas",
        },
        {"external_id": "W2", "company": "Two"},
    ]
    again = post(token, batch).json()
    assert {k: again[k] for k in ("created", "updated", "unchanged")} == {
        "created": 1,
        "updated": 0,
        "unchanged": 1,
    }


def test_batch_with_one_bad_item_writes_nothing(world: World) -> None:
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    response = post(
        token,
        [
            {"external_id": "G1"},
            {"external_id": "G2", "created_at": "not a date"},
            {"external_id": "G1"},
        ],
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert {e["pointer"] for e in errors} == {"/1/created_at", "/2/external_id"}
    assert not Lead.objects.exists()


def test_bad_requests(world: World) -> None:
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    assert post("ls_wrong", {"external_id": "x"}).status_code == 401
    assert post(token, {"company": "no id"}).status_code in (400, 422)
    assert post(token, []).status_code == 400
    assert post(token, [{"external_id": str(i)} for i in range(1001)]).status_code == 400
    raw = Client().post(
        "/api/v1/leads",
        data="{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert raw.status_code in (400, 422)


def test_reps_cannot_post_leads_and_tokens_stay_in_their_org(world: World) -> None:
    _, rep_token = create_token(membership=world.membership(world.rep), name="t")
    assert post(rep_token, {"external_id": "R1"}).status_code == 403
    from lockstep.orgs.models import Membership

    _, outsider_token = create_token(
        membership=Membership.objects.get(user=world.outsider), name="t"
    )
    assert post(outsider_token, {"external_id": "X1"}).status_code == 200
    assert Lead.objects.get(external_id="X1").org == world.other_org


def test_openapi_document_is_served(world: World) -> None:
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200 and "/api/v1/leads" in response.json()["paths"]
