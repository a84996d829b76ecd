"""The product's rules hold through the API exactly as in the UI: the answer key never
reaches a rep, an anonymous pulse names nobody, the launch gate and the owner's override,
scoping by team, and cursor pagination."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client

from lockstep.accounts.models import User
from lockstep.accounts.services import create_token
from lockstep.feedback import services as feedback
from lockstep.orgs.models import Membership
from lockstep.programs.models import ProgramStatus
from tests.factories import ProgramFactory, Stock, TeamFactory


def api(stock: Stock, user: User, method: str, path: str, body: Any = None) -> Any:
    membership = Membership.objects.get(org=stock.org, user=user)
    _, token = create_token(membership=membership, name="t")
    kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"}}
    if body is not None:
        kwargs |= {"data": json.dumps(body), "content_type": "application/json"}
    return getattr(Client(), method)(f"/api/v1{path}", **kwargs)


def test_the_answer_key_never_reaches_a_rep(stock: Stock) -> None:
    w, p = stock.world, stock.program.pk
    marketer_view = api(stock, w.marketer, "get", f"/programs/{p}/check").json()
    assert marketer_view["questions"][0]["choices"][0]["correct"] is not None
    rep_view = api(stock, w.rep, "get", f"/programs/{p}/check").json()
    assert rep_view["questions"] is None and rep_view["mine"]["attempts_used"] >= 1
    started = api(stock, w.rep, "post", f"/programs/{p}/check/attempts")
    assert started.status_code == 200
    assert "correct" not in started.content.decode()
    assert "explanation" not in started.content.decode()


def test_an_anonymous_pulse_names_nobody(stock: Stock) -> None:
    w, program = stock.world, stock.program
    program.pulse_anonymous = True
    program.save(update_fields=["pulse_anonymous"])
    feedback.answer_pulse(
        pulse_round=stock.pulse_round, membership=stock.rep_membership,
        scores={"understand": 1, "helps": 1, "next_steps": 1}, comment="Secret",
    )  # fmt: skip
    pulse = api(stock, w.marketer, "get", f"/programs/{program.pk}/pulse").json()
    assert pulse["individual"] == [] and pulse["overall"]["understand"] is None
    assert all(g["hidden"] for g in pulse["groups"])
    events = api(stock, w.owner, "get", "/events?verb=pulse.answered").json()["items"]
    assert events and all(e["actor"] is None and e["payload"] == {} for e in events)
    drill = api(stock, w.marketer, "get", f"/programs/{program.pk}/funnel/teams/{w.team.pk}")
    assert all(r["pulse"] is None for r in drill.json()["reps"])
    turn_off = api(
        stock, w.marketer, "patch", f"/programs/{program.pk}/pulse", {"anonymous": False}
    )
    assert turn_off.status_code == 409 and turn_off["Content-Type"] == "application/problem+json"


def test_the_launch_gate_and_the_owners_override(stock: Stock) -> None:
    w = stock.world
    ready = ProgramFactory(org=w.org, status=ProgramStatus.READY, audience=[w.region])
    path = f"/programs/{ready.pk}/transitions"
    refused = api(stock, w.marketer, "post", path, {"to": "live", "override_reason": "Please"})
    assert refused.status_code == 400
    problem = refused.json()
    assert problem["type"].endswith("/launch-refused")
    assert problem["score"] < problem["threshold"] and problem["findings"]
    launched = api(stock, w.owner, "post", path, {"to": "live", "override_reason": "Board call"})
    assert launched.status_code == 200
    assert launched.json()["status"] == "live" and launched.json()["override_reason"]
    closed_again = api(stock, w.owner, "post", path, {"to": "draft"})
    assert closed_again.status_code == 409


def test_a_leader_sees_only_the_teams_they_lead(stock: Stock) -> None:
    w = stock.world
    elsewhere = TeamFactory(org=w.org, name="APAC")
    teams = api(stock, w.leader, "get", "/teams").json()["items"]
    assert elsewhere.pk not in {t["id"] for t in teams} and w.team.pk in {t["id"] for t in teams}
    assert api(stock, w.leader, "get", f"/teams/{elsewhere.pk}").status_code == 404
    assert api(stock, w.owner, "get", f"/teams/{elsewhere.pk}").status_code == 200
    rep_leads = api(stock, w.rep, "get", "/leads").json()["items"]
    assert {lead["id"] for lead in rep_leads} == {stock.lead.pk, stock.unmatched_lead.pk}
    assert api(stock, w.rep, "get", f"/leads/{stock.leads[w.partner.pk].pk}").status_code == 404


def test_cursor_pagination_walks_everything_once(stock: Stock) -> None:
    w = stock.world
    for i in range(7):
        TeamFactory(org=w.org, name=f"Extra {i}")
    seen: list[int] = []
    cursor = ""
    while True:
        page = api(stock, w.owner, "get", f"/members?limit=2{cursor}").json()
        seen += [m["id"] for m in page["items"]]
        if not page["next_cursor"]:
            break
        cursor = f"&cursor={page['next_cursor']}"
    assert len(seen) == len(set(seen)) == Membership.objects.filter(org=w.org).count()
    bad = api(stock, w.owner, "get", "/members?cursor=not-a-cursor")
    assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "cursor"
