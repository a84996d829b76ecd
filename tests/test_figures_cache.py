"""The figures cache (lockstep/core/snapshots.py): analysis figures are computed once per
committed change of the data and per minute, never shown older than the last write.

The test settings turn the cache off (most tests write in a transaction that never
commits); these tests turn it on, and those about commits use a database that commits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import caches
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from lockstep.briefs.selectors import rep_home
from lockstep.core import snapshots
from lockstep.insights.scorecard import funnel_section
from lockstep.orgs.models import Membership
from lockstep.results.models import Lead
from tests.factories import LeadFactory, MembershipFactory, Stock


@pytest.fixture
def cache_on(settings: object) -> None:
    settings.LOCKSTEP_FIGURES_CACHE = True  # type: ignore[attr-defined]
    caches["figures"].clear()


@pytest.mark.parametrize(
    ("sql", "watched"),
    [
        ('INSERT INTO "results_lead" ("org_id") VALUES (%s)', True),
        ('  update "results_lead" SET "status" = %s', True),
        ('DELETE FROM "orgs_membership" WHERE "id" = %s', True),
        ('UPDATE "orgs_membership" SET "role" = %s WHERE "id" = %s', True),
        ("INSERT INTO results_lead VALUES (1)", True),  # unquoted raw SQL: counted
        ('SELECT "id" FROM "results_lead"', False),
        ('UPDATE "orgs_membership" SET "last_seen_at" = %s WHERE "id" = %s', False),
        ('UPDATE "django_session" SET "session_data" = %s', False),
        ('INSERT INTO "accounts_loginattempt" ("email") VALUES (%s)', False),
        ('UPDATE "core_dataversion" SET "n" = "n" + 1', False),
    ],
)
def test_which_writes_move_the_version(sql: str, watched: bool) -> None:
    assert snapshots._is_watched_write(sql) is watched


def version() -> int:
    return snapshots.current()[1]


COMMITS = pytest.mark.django_db(transaction=True)


@COMMITS
def test_a_committed_write_moves_the_version_once_per_transaction(stock: Stock) -> None:
    before = version()
    with transaction.atomic():
        Lead.objects.filter(pk=stock.unmatched_lead.pk).update(company="Initech")
        Lead.objects.filter(pk=stock.unmatched_lead.pk).update(company="Initrode")
    assert version() == before + 1
    Lead.objects.filter(pk=stock.unmatched_lead.pk).update(company="Hooli")  # autocommit
    assert version() == before + 2


@COMMITS
def test_a_rolled_back_write_does_not_move_it(stock: Stock) -> None:
    before = version()
    with pytest.raises(RuntimeError), transaction.atomic():
        Lead.objects.filter(pk=stock.unmatched_lead.pk).update(company="Initech")
        raise RuntimeError
    assert version() == before
    # and the next transaction's commit still counts (nothing left pending by the rollback)
    with transaction.atomic():
        Lead.objects.filter(pk=stock.unmatched_lead.pk).update(company="Initrode")
    assert version() == before + 1


def audience_size(membership: Membership, stock: Stock) -> int:
    return int(funnel_section(membership, stock.program)["total"].reps)


@COMMITS
def test_figures_are_read_once_then_again_after_a_write(stock: Stock, cache_on: None) -> None:
    owner = stock.world.membership(stock.world.owner)
    before = audience_size(owner, stock)
    with CaptureQueriesContext(connection) as kept:
        assert audience_size(owner, stock) == before
    assert len(kept) == 1  # the version, nothing recomputed

    rep_team = stock.world.membership(stock.world.rep).team
    MembershipFactory(org=stock.world.org, team=rep_team)  # a new rep joins the audience
    assert audience_size(owner, stock) == before + 1


@pytest.mark.django_db
def test_without_a_commit_the_kept_figures_stay(stock: Stock, cache_on: None) -> None:
    """The mechanism, shown the other way round: a write whose commit hook never ran (as in
    a transaction still open) does not change what is shown."""
    owner = stock.world.membership(stock.world.owner)
    before = audience_size(owner, stock)
    MembershipFactory(org=stock.world.org, team=stock.world.membership(stock.world.rep).team)
    assert audience_size(owner, stock) == before
    caches["figures"].clear()
    assert audience_size(owner, stock) == before + 1


@pytest.mark.django_db
def test_figures_are_computed_again_the_next_minute(stock: Stock, cache_on: None) -> None:
    owner = stock.world.membership(stock.world.owner)
    start = dt.datetime(2026, 11, 30, 10, 0, 5, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        audience_size(owner, stock)
        with CaptureQueriesContext(connection) as same_minute:
            audience_size(owner, stock)
    with time_machine.travel(start + dt.timedelta(seconds=60), tick=False):
        with CaptureQueriesContext(connection) as next_minute:
            audience_size(owner, stock)
    assert len(same_minute) == 1
    assert len(next_minute) > 1


@pytest.mark.django_db
def test_a_leader_never_gets_the_whole_organizations_figures(stock: Stock, cache_on: None) -> None:
    """Members who see every team share figures by role; a leader has their own."""
    owner = stock.world.membership(stock.world.owner)
    leader = stock.world.membership(stock.world.leader)
    rep_team = stock.world.membership(stock.world.rep).team
    outside = MembershipFactory(org=stock.world.org, role="sales_leader").team
    assert outside is None or outside != rep_team
    org_wide = audience_size(owner, stock)
    MembershipFactory(org=stock.world.org, team=rep_team)  # uncommitted: only a new key sees it
    assert audience_size(owner, stock) == org_wide
    assert audience_size(leader, stock) == audience_size(leader, stock)
    assert snapshots.current()  # the version row exists


def page_text(client: Client, url: str) -> bytes:
    """The page without what changes on every response (CSP nonces, CSRF tokens)."""
    body = client.get(url).content
    return re.sub(rb"[A-Za-z0-9+/=_-]{40,}", b"", body)


@COMMITS
def test_the_pages_show_a_committed_write(stock: Stock, cache_on: None) -> None:
    """Through the pages: the funnel and the scorecard show a new rep as soon as the write
    committed, and the pages read no more than the version when nothing changed."""
    client = stock.world.client(stock.world.owner)
    slug, pk = stock.world.org.slug, stock.program.pk
    urls = [
        reverse("insights:funnel", args=[slug, pk]),
        reverse("insights:scorecard", args=[slug, pk]),
        reverse("results:program", args=[slug, pk]),
    ]
    first = [page_text(client, url) for url in urls]
    with CaptureQueriesContext(connection) as kept:
        assert [page_text(client, url) for url in urls] == first  # the same figures, kept
    with CaptureQueriesContext(connection) as computed:
        with override_settings(LOCKSTEP_FIGURES_CACHE=False):
            assert [page_text(client, url) for url in urls] == first
    assert len(kept) < len(computed)
    MembershipFactory(org=stock.world.org, team=stock.world.membership(stock.world.rep).team)
    after = [page_text(client, url) for url in urls]
    assert after[0] != first[0] and after[1] != first[1]


@COMMITS
def test_the_rep_home_shows_a_new_lead_once_committed(stock: Stock, cache_on: None) -> None:
    rep = stock.world.membership(stock.world.rep)
    before = len(rep_home(rep)["open_leads"])
    assert len(rep_home(rep)["open_leads"]) == before
    LeadFactory(program=stock.program, rep=stock.world.rep)
    assert len(rep_home(rep)["open_leads"]) == before + 1


@pytest.mark.django_db
def test_every_scorecard_section_and_home_is_kept(
    stock: Stock, cache_on: None, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever a page keeps can be kept (nothing unpicklable in it): served twice, each
    page reads its figures once."""
    from lockstep.insights.scorecard_views import SECTIONS

    slug, pk = stock.world.org.slug, stock.program.pk
    urls = [reverse(name, args=[slug, pk]) for _, _, name in SECTIONS.values()]
    for who in ("owner", "leader"):
        client = stock.world.client(getattr(stock.world, who))
        for url in urls:
            assert client.get(url).status_code == 200
            assert client.get(url, headers={"HX-Request": "true"}).status_code == 200
    for who in ("rep", "leader", "owner"):
        client = stock.world.client(getattr(stock.world, who))
        assert client.get(reverse("insights:home", args=[slug])).status_code == 200
    assert "cannot be pickled" not in caplog.text
