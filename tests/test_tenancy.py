"""Every page under /o/<org-slug>/ is invisible to people outside that organization."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from lockstep.core.permissions import PERMISSIONS, Perm, Role
from lockstep.orgs.models import Invitation, Membership
from lockstep.programs.models import Asset, Program, ProgramStatus
from tests.conftest import World


def org_patterns() -> list[tuple[str, URLPattern]]:
    """(route template, pattern) for every URL pattern under /o/<org_slug>/."""
    found: list[tuple[str, URLPattern]] = []

    def walk(patterns: list, prefix: str) -> None:  # type: ignore[type-arg]
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif "<slug:org_slug>" in route:
                found.append((route, p))

    walk(get_resolver().url_patterns, "/")
    return found


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


@pytest.mark.parametrize("who", ["owner", "marketer", "leader", "rep"])
def test_no_page_answers_junk_with_a_server_error(world: World, who: str) -> None:
    """Every page, as a member with the most rights of each kind, GET with junk query
    parameters and POST junk: a clear 4xx or a redirect, never a 500."""
    client = world.client(getattr(world, who))
    urls = [fill(route, world) for route, _ in org_patterns()]  # before junk changes things
    for url in urls:
        for response in (client.get(url, JUNK), client.post(url, JUNK)):
            assert response.status_code < 500, f"{who} {response.request['REQUEST_METHOD']} {url}"
