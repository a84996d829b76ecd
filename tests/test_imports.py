"""CSV imports of teams and users: good files, re-runs, dry runs and bad files."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lockstep.core.imports import run_import
from lockstep.core.models import AuditLog
from lockstep.core.permissions import Role
from lockstep.orgs.imports import TeamsSpec, UsersSpec
from lockstep.orgs.models import Membership, Organization, Team
from tests.conftest import World

DATA = Path(__file__).parent / "data"


def teams(org: Organization, text: str | bytes, dry_run: bool = False):  # type: ignore[no-untyped-def]
    raw = text.encode() if isinstance(text, str) else text
    return run_import(TeamsSpec(org), io.BytesIO(raw), acting_user=None, dry_run=dry_run)


def users(org: Organization, text: str, dry_run: bool = False):  # type: ignore[no-untyped-def]
    return run_import(UsersSpec(org), io.BytesIO(text.encode()), acting_user=None, dry_run=dry_run)


def snapshot(
    org: Organization,
) -> tuple[list[tuple[str, str | None, str]], list[tuple[str, str, str | None]]]:
    t = sorted(
        (x.name, x.parent.name if x.parent else None, x.channel) for x in Team.objects.for_org(org)
    )
    m = sorted(
        (x.user.email, x.role, x.team.name if x.team else None)
        for x in Membership.objects.for_org(org).select_related("user", "team")
    )
    return t, m


def test_teams_file_in_any_order_then_rerun_changes_nothing(world: World) -> None:
    lines = (DATA / "teams.csv").read_text().splitlines()
    shuffled = "\n".join([lines[0], *reversed(lines[1:])])  # children before parents
    report = teams(world.org, shuffled)
    assert report.ok, report.errors
    assert report.counts["created"] == 5
    oslo = Team.objects.get(org=world.org, name="Oslo Commercial")
    assert oslo.parent and oslo.parent.name == "Stockholm Enterprise"
    changes = AuditLog.objects.exclude(action="import.finished")
    audit_rows = changes.count()
    again = teams(world.org, shuffled)
    assert again.counts["unchanged"] == 5 and again.counts["created"] == 0
    assert changes.count() == audit_rows  # nothing changed; only the import itself is logged
    summary = AuditLog.objects.filter(action="import.finished").first()
    assert summary is not None and summary.changes["unchanged"] == [None, 5]


def test_teams_update_existing_by_name_case_insensitively(world: World) -> None:
    report = teams(world.org, "name,parent,channel\nlondon enterprise,,inside_sales\n")
    assert report.counts["updated"] == 1
    world.team.refresh_from_db()
    assert world.team.parent is None and world.team.channel == "inside_sales"


def test_bom_and_crlf(world: World) -> None:
    report = teams(world.org, (DATA / "teams_bom_crlf.csv").read_bytes())
    assert report.ok and Team.objects.filter(name="BOM Team").exists()


def test_dry_run_counts_but_writes_nothing(world: World) -> None:
    before = snapshot(world.org)
    report = teams(world.org, (DATA / "teams.csv").read_text(), dry_run=True)
    assert report.ok and report.counts["created"] == 5 and not report.written
    assert snapshot(world.org) == before


BAD_TEAM_FILES = [
    ("", 1, "empty"),
    ("   \n\n", 1, "empty"),
    ("name,channel\nX,direct\n", 1, "missing column"),
    ("name,parent,channel,colour\nX,,direct,red\n", 1, "unknown column"),
    ("name,parent,channel,name\nX,,direct,Y\n", 1, "more than once"),
    ("name,parent,channel\nX,,carrier\n", 2, "is not one of direct, inside_sales, partner"),
    ("name,parent,channel\n,,direct\n", 2, "needs a name"),
    ("name,parent,channel\nX,Nowhere,direct\n", 2, "no team “Nowhere”"),
    ("name,parent,channel\nX,X,direct\n", 2, "its own parent"),
    ("name,parent,channel\nA,B,direct\nB,A,direct\n", 2, "cycle"),
    ("name,parent,channel\nA,,direct\na,,direct\n", 3, "already on row 2"),
    ("name,parent,channel\nEMEA,London Enterprise,direct\n", 2, "cycle"),
    ("name,parent,channel\nA,,direct,extra\n", 2, "more cells than header"),
    ("name,parent,channel\n" + "X" * 121 + ",,direct\n", 2, "longer than 120"),
    ('name,parent,channel\n"' + "X" * 20000 + '",,direct\n', 2, "too long"),
]


@pytest.mark.parametrize(("text", "row", "message"), BAD_TEAM_FILES)
def test_bad_team_files_write_nothing(world: World, text: str, row: int, message: str) -> None:
    good_first = "name,parent,channel\nFine Team,,direct\n"
    before = snapshot(world.org)
    report = teams(world.org, text)
    assert not report.ok
    assert any(e.row == row and message in e.message for e in report.errors), report.errors
    assert snapshot(world.org) == before
    # one bad row spoils the whole file: the good rows are not written either
    if row > 1:
        mixed = good_first + text.split("\n", 1)[1]
        assert not teams(world.org, mixed).ok
        assert not Team.objects.filter(name="Fine Team").exists()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_encodings_and_delimiters(world: World, encoding: str, delimiter: str) -> None:
    text = delimiter.join(["name", "parent", "channel"]) + "\r\n"
    text += delimiter.join(["München Süd", "", "direct"]) + "\r\n"
    text += delimiter.join(['"Zürich, Team ""A"""', "München Süd", "partner"]) + "\r\n"
    report = teams(world.org, text.encode(encoding))
    assert report.ok, report.errors
    child = Team.objects.get(org=world.org, name='Zürich, Team "A"')
    assert child.parent and child.parent.name == "München Süd"


def test_quoted_newlines_in_a_cell(world: World) -> None:
    report = teams(world.org, 'name,parent,channel\n"Two\nLines",,direct\nNext,,direct\n')
    assert report.ok and Team.objects.filter(name="Two\nLines").exists()


def test_header_only_imports_nothing(world: World) -> None:
    report = teams(world.org, "name,parent,channel\n")
    assert report.ok and report.rows == 0


def test_users_import_then_rerun_changes_nothing(world: World) -> None:
    assert teams(world.org, (DATA / "teams.csv").read_text()).ok
    text = (DATA / "users.csv").read_text()
    report = users(world.org, text)
    assert report.ok, report.errors
    assert report.counts["created"] == 5
    astrid = Membership.objects.get(org=world.org, user__email="astrid@nord.example")
    assert astrid.role == Role.SALES_LEADER and [t.name for t in astrid.led_teams.all()] == [
        "Nordics"
    ]
    sara = Membership.objects.get(org=world.org, user__email="sara@nord.example")
    assert sara.role == Role.REP and sara.team and sara.team.name == "Nordics Inside Sales"
    assert not sara.user.has_usable_password()  # they set it through "Forgot your password?"
    before = snapshot(world.org)
    again = users(world.org, text)
    assert again.counts["unchanged"] == 5 and snapshot(world.org) == before


def test_users_import_updates_role_and_team(world: World) -> None:
    report = users(
        world.org,
        f"email,first_name,last_name,role,team\nrep@acme.example,{world.rep.first_name},{world.rep.last_name},rep,EMEA\n",
    )
    assert report.counts["updated"] == 1
    assert world.membership(world.rep).team == world.region


def test_existing_person_from_another_org_is_added_not_duplicated(world: World) -> None:
    report = users(
        world.org,
        "email,first_name,last_name,role,team\nOUTSIDER@globex.example,Out,Sider,viewer,\n",
    )
    assert report.ok
    assert Membership.objects.filter(user=world.outsider).count() == 2


BAD_USER_ROWS = [
    ("nobody,A,B,rep,EMEA", "email", "not an e-mail address"),
    ("a@x.example,A,B,king,", "role", "is not one of"),
    ("a@x.example,A,B,rep,", "team", "needs a team"),
    ("a@x.example,A,B,rep,Atlantis", "team", "no team “Atlantis”"),
    ("a@x.example,A,B,marketer,EMEA", "team", "leave it empty"),
    ("a@x.example,A,B,partner_rep,London Enterprise", "team", "partner team"),
    ("a@x.example,A,B,rep,Brightline", "role", "partner_rep"),
    ("owner@acme.example,A,B,viewer,", "role", "no owner"),
]


@pytest.mark.parametrize(("row", "column", "message"), BAD_USER_ROWS)
def test_bad_user_rows_write_nothing(world: World, row: str, column: str, message: str) -> None:
    before = snapshot(world.org)
    text = "email,first_name,last_name,role,team\nfine@x.example,F,G,viewer,\n" + row + "\n"
    report = users(world.org, text)
    assert not report.ok
    assert any(e.row == 3 and e.column == column and message in e.message for e in report.errors), (
        report.errors
    )
    assert snapshot(world.org) == before


def test_duplicate_emails_in_one_file(world: World) -> None:
    report = users(
        world.org,
        "email,first_name,last_name,role,team\na@x.example,A,B,viewer,\nA@x.example,A,B,viewer,\n",
    )
    assert [str(e) for e in report.errors] == ["row 3, column “email”: already on row 2"]


def test_cli_import_reports_and_exits_non_zero(world: World, tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    bad = tmp_path / "bad.csv"
    bad.write_text("name,parent,channel\nGood,,direct\nBad,,fax\n")
    with pytest.raises(CommandError, match="rejected"):
        call_command("import", "teams", str(bad), "--org", "acme")
    err = capsys.readouterr().err
    assert "row 3" in err and "fax" in err
    assert not Team.objects.filter(name="Good").exists()


def test_cli_import_dry_run_then_real(world: World, capsys) -> None:  # type: ignore[no-untyped-def]
    call_command("import", "teams", str(DATA / "teams.csv"), "--org", "acme", "--dry-run")
    assert "Dry run" in capsys.readouterr().out
    assert not Team.objects.filter(name="Nordics").exists()
    call_command("import", "teams", str(DATA / "teams.csv"), "--org", "acme")
    assert "5 created" in capsys.readouterr().out
    call_command("import", "users", str(DATA / "users.csv"), "--org", "acme")
    assert "5 created" in capsys.readouterr().out


def test_cli_import_unknown_org_or_file(world: World) -> None:
    with pytest.raises(CommandError, match="No organization"):
        call_command("import", "teams", str(DATA / "teams.csv"), "--org", "nope")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import", "teams", "/no/such.csv", "--org", "acme")
