"""Privacy: an owner (or the command line) exports everything stored about a person, and
erases a person — their figures stay, who they were goes, and the audit log says so."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Avg, Count
from django.test import Client

from lockstep.accounts.models import User
from lockstep.core.models import ActivityEvent, AuditLog
from lockstep.core.permissions import Role
from lockstep.feedback import services as feedback
from lockstep.feedback.models import PulseResponse, RepQuestion
from lockstep.ops import privacy
from lockstep.orgs.models import Membership
from lockstep.results import services as results
from lockstep.results.models import LeadTouch
from tests.factories import PASSWORD, MembershipFactory, Stock


def the_reps_traces(stock: Stock) -> None:
    """The rep answers the pulse, asks a question, touches a lead (their events follow)."""
    w = stock.world
    feedback.answer_pulse(
        pulse_round=stock.pulse_round, membership=stock.rep_membership,
        scores={"understand": 5, "helps": 2, "next_steps": 4}, comment="Call me, Ravi",
    )  # fmt: skip
    feedback.ask_question(program=stock.program, user=w.rep, body="Who is rep@acme.example?")
    results.log_touch(lead=stock.lead, user=w.rep, kind="call", note="Left a voicemail")


def figures(stock: Stock) -> dict[str, Any]:
    """What the measurements are made of, in the organization."""
    org = stock.org
    return {
        "pulse": PulseResponse.objects.filter(org=org).aggregate(
            n=Count("pk"), understand=Avg("understand"), helps=Avg("helps")
        ),
        "events": sorted(
            ActivityEvent.objects.filter(org=org)
            .values_list("verb")
            .annotate(n=Count("pk"))
            .values_list("verb", "n")
        ),
        "touches": LeadTouch.objects.filter(org=org).count(),
        "questions": RepQuestion.objects.filter(org=org).count(),
        "distinct actors": ActivityEvent.objects.filter(org=org).values("actor").distinct().count(),
    }


def test_an_owner_downloads_everything_stored_about_a_member(stock: Stock) -> None:
    the_reps_traces(stock)
    w = stock.world
    url = f"/o/acme/members/{stock.rep_membership.pk}/export.json"
    response = w.client(w.owner).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["person"]["email"] == "rep@acme.example"
    assert data["memberships"][0]["role"] == "rep"
    rows = data["rows"]
    assert rows["feedback.PulseResponse"][0]["comment"] == "Call me, Ravi"
    assert any(q["body"].startswith("Who is") for q in rows["feedback.RepQuestion"])
    assert rows["results.LeadTouch"][0]["note"] == "Left a voicemail"
    assert "core.ActivityEvent" in rows
    text = response.content.decode()
    assert "password" not in text and "token_hash" not in text and "secret" not in text
    assert AuditLog.objects.filter(org=w.org, action="person.exported").count() == 1
    assert w.client(w.marketer).get(url).status_code == 403
    assert w.client(w.outsider).get(url).status_code == 404


def test_the_command_line_exports_a_person_from_every_organization(stock: Stock) -> None:
    the_reps_traces(stock)
    MembershipFactory(org=stock.world.other_org, user=stock.world.rep, role=Role.VIEWER)
    out = StringIO()
    call_command("person", "export", "--email", "REP@acme.example", stdout=out)
    data = json.loads(out.getvalue())
    assert data["scope"] == "all organizations"
    assert {m["organization"] for m in data["memberships"]} == {"acme", "globex"}


def test_erasing_a_member_keeps_the_figures_and_forgets_the_person(stock: Stock) -> None:
    the_reps_traces(stock)
    w = stock.world
    rep_pk = w.rep.pk
    before = figures(stock)
    page = w.client(w.owner).get(f"/o/acme/members/{stock.rep_membership.pk}/erase/")
    assert page.status_code == 200
    url = f"/o/acme/members/{stock.rep_membership.pk}/erase/"
    assert w.client(w.owner).post(url, {"confirm": "someone else"}).status_code == 400
    assert w.client(w.owner).post(url, {"confirm": "rep@acme.example"}).status_code == 302

    assert figures(stock) == before
    assert not Membership.objects.filter(org=w.org, user_id=rep_pk).exists()
    # The account belonged to Acme alone: it keeps its id and nothing else.
    account = User.objects.get(pk=rep_pk)
    assert account.email.endswith("@erased.invalid") and not account.is_active
    assert not account.has_usable_password()
    assert (
        Client()
        .post("/accounts/login/", {"username": "rep@acme.example", "password": PASSWORD})
        .status_code
        == 200
    )
    # What they wrote and who they were is gone from the organization's rows.
    assert PulseResponse.objects.get(org=w.org, round=stock.pulse_round).comment == "[erased]"
    assert RepQuestion.objects.filter(org=w.org, body__contains="rep@acme.example").count() == 0
    leftovers = [
        f"{model._meta.label}.{field}"
        for model, field in privacy.person_fields()
        if privacy._has_org(model)
        and model._default_manager.filter(org=w.org, **{field: rep_pk}).exists()
    ]
    assert not leftovers, leftovers
    erased = AuditLog.objects.get(org=w.org, action="person.erased")
    assert erased.actor == w.owner and "rep@acme.example" not in json.dumps(
        [erased.object_repr, erased.changes, erased.note]
    )


def test_erasing_someone_who_belongs_elsewhere_too_keeps_their_account(stock: Stock) -> None:
    w = stock.world
    MembershipFactory(org=w.other_org, user=w.rep, role=Role.VIEWER)
    done = privacy.erase_person(org=w.org, user=w.rep, acting_user=w.owner)
    assert not done.account_anonymised and done.tombstone.email.endswith("@erased.invalid")
    client = Client()
    client.post("/accounts/login/", {"username": "rep@acme.example", "password": PASSWORD})
    assert client.get("/o/globex/").status_code == 200
    assert client.get("/o/acme/").status_code == 404


def test_the_last_owner_and_oneself_cannot_be_erased(stock: Stock) -> None:
    w = stock.world
    from lockstep.core.errors import Conflict

    with pytest.raises(Conflict, match="only owner"):
        privacy.erase_person(org=w.org, user=w.owner, acting_user=w.marketer)
    with pytest.raises(Conflict, match="cannot erase yourself"):
        privacy.erase_person(org=w.org, user=w.marketer, acting_user=w.marketer)


def test_the_command_line_erases_everywhere_only_when_told(stock: Stock) -> None:
    the_reps_traces(stock)
    out = StringIO()
    call_command("person", "erase", "--email", "rep@acme.example", stdout=out)
    assert "Add --yes" in out.getvalue() and User.objects.filter(email="rep@acme.example").exists()
    call_command("person", "erase", "--email", "rep@acme.example", "--yes", stdout=out)
    assert not User.objects.filter(email="rep@acme.example").exists()
    with pytest.raises(CommandError, match="Nobody has"):
        call_command("person", "export", "--email", "rep@acme.example", stdout=out)
