"""Issue 9: CRM files as Salesforce and HubSpot really export them. Each test names the
defect it covers; each file is under tests/data/leads/."""

from __future__ import annotations

import datetime as dt
import io
import json
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from openpyxl import Workbook, load_workbook

from lockstep.accounts.models import User
from lockstep.accounts.services import create_token
from lockstep.core.imports import (
    MAX_KEPT,
    ImportReport,
    open_table,
    run_import,
    spreadsheet_safe,
    write_csv,
)
from lockstep.core.models import ImportJob
from lockstep.results.imports import LeadsSpec
from lockstep.results.models import Lead
from tests.conftest import World
from tests.scenarios import make_program

DATA = Path(__file__).parent / "data" / "leads"
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def leads(world: World, source: str | bytes, preset: str = "auto", **kw: Any) -> ImportReport:
    raw = (DATA / source).read_bytes() if isinstance(source, str) else source
    mapping = kw.pop("mapping", None)
    return run_import(
        LeadsSpec(world.org, preset, mapping), io.BytesIO(raw), acting_user=None, **kw
    )


def lead(external_id: str) -> Lead:
    return Lead.objects.get(external_id=external_id)


def local_day(value: dt.datetime, org_tz: str = "UTC") -> tuple[int, int, int]:
    moment = value.astimezone(zoneinfo.ZoneInfo(org_tz))
    return moment.year, moment.month, moment.day


@pytest.fixture
def atlas(world: World) -> None:
    make_program(world, name="Atlas", campaign_codes=["ATLAS"])


@pytest.fixture
def rita(world: World) -> User:
    """The rep, named as the CRM names the lead owner."""
    User.objects.filter(pk=world.rep.pk).update(first_name="Rita", last_name="Reyes")
    world.rep.refresh_from_db()
    return world.rep


# --- 1. dates: one order per file and column ------------------------------------------------


def test_us_report_dates_read_month_first_in_a_day_first_org(world: World, atlas: None) -> None:
    """Defect 1: 2/3/2026 and 2/24/2026 in one column are both month first (3 and 24
    February); before, 2/3 silently became 2 March. The summary says which order."""
    assert world.org.date_order == "dmy"
    report = leads(world, "salesforce_report_us_dates.csv")
    assert report.ok, report.errors
    assert local_day(lead("00Q5f00001AbC1").created_at) == (2026, 2, 3)
    assert local_day(lead("00Q5f00001AbC2").created_at) == (2026, 2, 11)
    assert local_day(lead("00Q5f00001AbC3").created_at) == (2026, 2, 24)
    assert local_day(lead("00Q5f00001AbC4").created_at) == (2026, 3, 1)
    assert "Dates in “Create Date”: month first (row 4 reads “2/24/2026”)." in report.notes


def test_csv_and_xlsx_of_one_report_agree(world: World, atlas: None, tmp_path: Path) -> None:
    """Defect 1: the XLSX of the same report (real date cells) gives the same dates: importing
    it after the CSV changes nothing."""
    assert leads(world, "salesforce_report_us_dates.csv").counts["created"] == 4
    table = open_table(io.BytesIO((DATA / "salesforce_report_us_dates.csv").read_bytes()))
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(table.header)
    for _, cells in table.rows:
        month, day, year = (int(p) for p in cells[7].split("/"))
        sheet.append([*cells[:7], dt.datetime(year, month, day), *cells[8:]])  # noqa: DTZ001
    path = tmp_path / "report.xlsx"
    book.save(path)
    report = leads(world, path.read_bytes())
    assert report.ok, report.errors
    assert (report.counts["created"], report.counts["updated"], report.counts["unchanged"]) == (
        0, 0, 4,
    )  # fmt: skip


def test_a_column_written_both_ways_is_refused_naming_the_rows(world: World) -> None:
    """Defect 1: 24/02/2026 (day first) and 02/25/2026 (month first) in one column: the
    file contradicts itself; nothing is written and the message names both rows."""
    report = leads(world, "dates_both_orders.csv")
    assert not report.ok and not report.written and not Lead.objects.exists()
    [error] = report.errors
    assert error.column == "created_at"
    assert "row 2 (“24/02/2026”)" in error.message and "row 4 (“02/25/2026”)" in error.message


@pytest.mark.parametrize(("order", "day"), [("dmy", (2026, 4, 3)), ("mdy", (2026, 3, 4))])
def test_all_ambiguous_dates_follow_the_organization(
    world: World, order: str, day: tuple[int, int, int]
) -> None:
    """Defect 1: no value tells day and month apart: the organization's setting decides,
    and the summary says so."""
    world.org.date_order = order
    world.org.save()
    report = leads(world, "dates_all_ambiguous.csv")
    assert report.ok, report.errors
    assert local_day(lead("00Q21").created_at) == day
    touched = lead("00Q21").first_touch_at
    assert touched is not None and local_day(touched) == day
    assert any("the organization's setting" in note for note in report.notes)


# --- 2. report columns recognised, the mapping printed ---------------------------------------


def test_salesforce_report_columns_and_the_mapping_in_the_summary(
    world: World, atlas: None, capsys: Any
) -> None:
    """Defect 2: `Company / Account` and `Create Date` feed the lead (not an empty company
    and the import time); the command prints the mapping and the ignored columns."""
    call_command("import", "leads", str(DATA / "salesforce_report_us_dates.csv"), "--org", "acme")
    out = capsys.readouterr().out
    first = lead("00Q5f00001AbC1")
    assert first.company == "Acme GmbH" and first.rep == world.rep
    assert first.program is not None and first.program.name == "Atlas"
    assert local_day(first.created_at) == (2026, 2, 3)
    assert "“Company / Account” → company" in out and "“Create Date” → created_at" in out
    assert "“Owner Email” → owner" in out
    assert "Ignored: “Lead Owner” (owner comes from “Owner Email”); “Rating”." in out
    assert "month first" in out


def test_hubspot_contacts_export(world: World, rita: User) -> None:
    """Defect 2: HubSpot's `Associated Company`, `Contact owner` (a full name), `Record ID`
    and `Create Date`."""
    report = leads(world, "hubspot_contacts_export.csv")
    assert report.ok, report.errors
    dana = lead("51234")
    assert (dana.company, dana.rep, dana.contact_name, dana.status) == (
        "Delta Ltd", rita, "Dana Cole", "new",
    )  # fmt: skip
    assert dana.created_at == dt.datetime(2026, 2, 24, 14, 5, tzinfo=dt.UTC)
    assert lead("51235").status == "working"
    ignored = [c.label for c in report.columns if not c.field]
    assert ignored == ["Marketing contact status"]


def test_the_browser_shows_the_recognised_mapping_and_reports_it(
    world: World, atlas: None, django_capture_on_commit_callbacks: Any
) -> None:
    """Defect 2: the mapping page starts from the recognised columns; the job's page prints
    the mapping and the date order."""
    client = world.client(world.marketer)
    upload = SimpleUploadedFile(
        "report.csv", (DATA / "salesforce_report_us_dates.csv").read_bytes()
    )
    client.post("/o/acme/imports/", {"kind": "leads", "preset": "auto", "file": upload})
    job = ImportJob.objects.get()
    page = client.get(f"/o/acme/imports/{job.pk}/map/").content.decode()
    assert '<option value="company" selected>' in page
    assert "owner comes from “Owner Email”" in page
    choices = {f"col{i}": f for i, f in enumerate(
        ["external_id", "first_name", "last_name", "company", "", "owner", "status",
         "created_at", "campaign", ""]
    )}  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/o/acme/imports/{job.pk}/map/", choices)
    job.refresh_from_db()
    assert job.status == "done" and job.report["counts"]["created"] == 4, job.report
    body = client.get(f"/o/acme/imports/{job.pk}/").content.decode()
    assert "“Company / Account” → company" in body and "month first" in body
    assert "Skipped the report footer" in body


def test_api_dry_run_says_how_it_read_the_leads(world: World) -> None:
    """Defect 2 (API): a dry run answers the counts, the mapping and the date order, and
    writes nothing."""
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    batch = [
        {"external_id": "A1", "company": "Acme", "created_at": "2/3/2026"},
        {"external_id": "A2", "company": "Beta", "created_at": "2/24/2026"},
    ]
    response = Client().post(
        "/api/v1/leads?dry_run=true", data=json.dumps(batch), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    body = response.json()
    assert response.status_code == 200 and body["created"] == 2, body
    assert {"column": "company", "field": "company", "note": ""} in body["columns"]
    assert any("month first" in note for note in body["notes"])
    assert not Lead.objects.exists()


# --- 3. two columns for one field ------------------------------------------------------------


def test_an_email_column_beats_a_name_column(world: World, rita: User) -> None:
    """Defect 3: `Lead Owner` (a name) and `Owner Email` in one report: the e-mail is used,
    without refusing the file."""
    report = leads(world, "owner_name_and_email.csv")
    assert report.ok, report.errors
    assert lead("00Q31").rep == world.rep and lead("00Q32").rep == world.partner
    use = next(c for c in report.columns if c.label == "Lead Owner")
    assert (use.field, use.note) == ("", "owner comes from “Owner Email”")


def test_an_explicit_map_wins_and_takes_the_field_from_the_preset(
    world: World, rita: User, capsys: Any
) -> None:
    """Defect 3: `--map "Lead Owner=owner"` wins (the e-mail column is then ignored), and
    `--map "Owner Email=owner"` is accepted (it used to be refused)."""
    path = str(DATA / "owner_name_and_email.csv")
    call_command("import", "leads", path, "--org", "acme", "--map", "Lead Owner=owner")
    assert "“Owner Email” (owner is mapped explicitly)" in capsys.readouterr().out
    assert {lead("00Q31").rep, lead("00Q32").rep} == {world.rep}  # both rows name Rita
    call_command("import", "leads", path, "--org", "acme", "--map", "Owner Email=owner")
    assert lead("00Q32").rep == world.partner
    assert "1 updated, 1 unchanged" in capsys.readouterr().out


def test_map_a_column_to_nothing(world: World, capsys: Any) -> None:
    """Defect 3: `--map "Column="` ignores a column."""
    path = str(DATA / "owner_name_and_email.csv")
    call_command("import", "leads", path, "--org", "acme", "--map", "Company / Account=")
    assert lead("00Q31").company == ""
    assert "“Company / Account” (mapped to nothing)" in capsys.readouterr().out


def test_two_equal_columns_are_refused_with_the_way_out(world: World, capsys: Any) -> None:
    """Defect 3: two columns as good as each other for one field: refused, saying how to
    choose; choosing one explicitly imports the file."""
    path = str(DATA / "two_campaign_columns.csv")
    with pytest.raises(CommandError):
        call_command("import", "leads", path, "--org", "acme")
    err = capsys.readouterr().err
    assert "“Campaign” and “Campaign Name” both feed “campaign”" in err
    assert '--map "Campaign=campaign"' in err
    call_command("import", "leads", path, "--org", "acme", "--map", "Campaign Name=campaign")
    assert lead("00Q41").campaign == "Atlas Q1"


# --- 4. the report footer --------------------------------------------------------------------


def test_the_salesforce_report_footer_is_skipped_and_said(world: World, atlas: None) -> None:
    """Defect 4: a blank line and one-cell lines (report name, copyright, "Confidential
    Information - Do Not Distribute", "Generated By…", the organization)."""
    report = leads(world, "salesforce_report_us_dates.csv")
    assert report.ok and report.rows == 4, report.errors
    assert any(n.startswith("Skipped the report footer: 5 lines") for n in report.notes)


def test_the_footer_of_an_xlsx_report(world: World, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Lead ID", "Company", "Owner Email"])
    sheet.append(["X1", "Excel Ltd", "rep@acme.example"])
    sheet.append([])
    for line in ("Leads report", "Copyright (c) 2000-2026 salesforce.com, inc.",
                 "Confidential Information - Do Not Distribute"):  # fmt: skip
        sheet.append([line])
    path = tmp_path / "report.xlsx"
    book.save(path)
    report = leads(world, path.read_bytes())
    assert report.ok and report.counts["created"] == 1, report.errors
    assert any("Skipped the report footer: 3 lines" in n for n in report.notes)


def test_one_cell_rows_followed_by_data_are_rows(world: World) -> None:
    """A blank line and a row with only its id, then more data: not a footer."""
    text = b"Lead ID,Company\nA1,Acme\n\nA2\nA3,Beta\n"
    report = leads(world, text)
    assert report.ok and report.counts["created"] == 3 and not report.notes


# --- 5. contact data is the CRM's ------------------------------------------------------------


def test_contact_data_is_stored_as_exported(world: World) -> None:
    """Defect 5: an internationalised address (RFC 6531) imports without a word; odd
    addresses and phones are stored as given and counted as warnings; only the owner and
    the status refuse rows."""
    report = leads(world, "contact_data_as_exported.csv", partial=True)
    assert report.counts["created"] == 4 and report.rejected_rows == 2
    assert {(e.row, e.column) for e in report.errors} == {(6, "owner"), (7, "status")}
    zoe = lead("00Q51")
    assert (zoe.email, zoe.contact_name, zoe.company) == (
        "zoë.müller@example.com", "Zoë Müller", "Müller & Söhne GmbH",
    )  # fmt: skip
    assert not [w for w in report.warnings if w.row == 2]
    assert lead("00Q52").email == "ray at stone dot example"
    assert lead("00Q52").phone == "ask for Ray"
    assert {(w.row, w.column) for w in report.warnings} >= {(3, "email"), (3, "phone")}
    assert lead("00Q53").company == '+1+HYPERLINK("http://evil.example","x")'
    assert lead("00Q53").phone == "-1+cmd|' /C calc'!A0"
    assert lead("00Q54").email == "@SUM(A1)"
    formula = {(w.row, w.column) for w in report.warnings if "formula" in w.message}
    assert formula == {(4, "company"), (4, "phone"), (5, "company"), (5, "email")}
    assert report.warning_count == len(report.warnings) >= 6


def test_the_api_stores_contact_data_and_warns(world: World) -> None:
    """Defect 5 (API): an odd e-mail is a warning in a 200 answer, never a 400."""
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    batch = [
        {"external_id": "Z1", "email": "zoë.müller@example.com"},
        {"external_id": "Z2", "email": "not-an-email"},
    ]
    response = Client().post(
        "/api/v1/leads", data=json.dumps(batch), content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    body = response.json()
    assert response.status_code == 200 and body["created"] == 2, body
    assert [w["pointer"] for w in body["warnings"]] == ["/1/email"]
    assert lead("Z1").email == "zoë.müller@example.com" and lead("Z2").email == "not-an-email"


# --- 6. values longer than their columns ----------------------------------------------------


def test_values_longer_than_their_columns(world: World) -> None:
    """Defect 6: a 316-character address (the column holds 254), a company name over 200
    characters whose accent straddles the limit, a long source: warnings, cut at a character
    boundary, stored on both databases; a 101-character id refuses its row."""
    report = leads(world, "too_long_values.csv", partial=True)
    assert report.counts["created"] == 2 and report.rejected_rows == 1
    [error] = report.errors
    assert (error.row, error.column) == (3, "external_id") and "longer than 100" in error.message
    long = lead("00Q61")
    assert (
        len(long.email) == 254
        and long.email
        == (DATA / "too_long_values.csv")
        .read_text(encoding="utf-8")
        .splitlines()[1]
        .split(",")[2][:254]
    )
    assert len(long.company) == 199 and long.company.endswith("x")  # not a bare "e"
    assert len(long.source) == 100
    assert {(w.row, w.column) for w in report.warnings} == {
        (2, "company"), (2, "email"), (2, "source"),
    }  # fmt: skip


def test_a_too_long_email_through_the_api_is_not_a_server_error(world: World) -> None:
    """Defect 6 (API): PostgreSQL refused a 255–320 character address with a 500."""
    _, token = create_token(membership=world.membership(world.marketer), name="t")
    email = "a" * 64 + "@" + ("d" * 60 + ".") * 4 + "example"
    response = Client().post(
        "/api/v1/leads", data=json.dumps({"external_id": "L1", "email": email}),
        content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["warnings"][0]["pointer"] == "/email"
    assert len(lead("L1").email) == 254


# --- 7. hostile files -------------------------------------------------------------------------


def test_a_file_of_bad_rows_keeps_a_few_thousand_errors(world: World, tmp_path: Path) -> None:
    """Defect 7: errors are counted; only the first MAX_KEPT are kept (an XLSX of a million
    bad rows kept them all and the worker's memory with them)."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(["Lead ID", "Owner Email"])
    bad = MAX_KEPT + 3_000
    for i in range(bad):
        sheet.append([f"B{i}", f"ghost{i}@nowhere.example"])
    path = tmp_path / "bad.xlsx"
    book.save(path)
    report = leads(world, path.read_bytes())
    assert report.error_count == report.rejected_rows == bad
    assert len(report.errors) == MAX_KEPT and not Lead.objects.exists()
    stored = report.as_dict()
    assert len(stored["errors"]) == MAX_KEPT and stored["more_errors"] == 3_000


def test_a_sheet_claiming_16384_columns(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """Defect 7: a small XLSX whose sheet claims 16,384 columns: the header stops at its
    last named column, the mapping page is small and the job finishes."""
    path = DATA / "wide_sheet.xlsx"
    claimed = load_workbook(path, read_only=True).worksheets[0].max_column
    assert claimed == 16384
    assert open_table(io.BytesIO(path.read_bytes())).header == [
        "Lead ID", "Company", "Owner Email", "Create Date",
    ]  # fmt: skip
    client = world.client(world.marketer)
    upload = SimpleUploadedFile("wide.xlsx", path.read_bytes())
    client.post("/o/acme/imports/", {"kind": "leads", "preset": "auto", "file": upload})
    job = ImportJob.objects.get()
    page = client.get(f"/o/acme/imports/{job.pk}/map/")
    assert page.content.decode().count("<select") == 4 and len(page.content) < 50_000
    choices = {"col0": "external_id", "col1": "company", "col2": "owner", "col3": "created_at"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/o/acme/imports/{job.pk}/map/", choices)
    job.refresh_from_db()
    assert job.status == "done" and job.report["counts"]["created"] == 2, job.report


@pytest.mark.parametrize(
    "value",
    ["=1+1", "+1+HYPERLINK(\"http://evil.example\",\"x\")", "-1+cmd|' /C calc'!A0", "@SUM(A1)",
     "\t=1", "+44 20 7946 0958"],
)  # fmt: skip
def test_formula_cells_are_escaped_in_the_csv_we_write(value: str) -> None:
    """Defect 7: values are stored as given, but every CSV Lockstep writes opens them as
    text in a spreadsheet."""
    assert spreadsheet_safe(value) == "'" + value
    line = write_csv([["row", value]]).splitlines()[0]
    assert line.split(",", 1)[1].lstrip('"').startswith("'")


def test_the_import_report_csv_escapes_what_the_file_held(
    world: World, django_capture_on_commit_callbacks: Any
) -> None:
    """Defect 7: the browser's report of a file with formula-looking cells and labels."""
    client = world.client(world.marketer)
    data = b"Lead ID,=cmd|' /C calc'!A0\n=1+1,x\n"
    upload = SimpleUploadedFile("f.csv", data)
    client.post("/o/acme/imports/", {"kind": "leads", "preset": "generic", "file": upload})
    job = ImportJob.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/o/acme/imports/{job.pk}/map/", {"col0": "external_id", "col1": "company"})
    report = client.get(f"/o/acme/imports/{job.pk}/errors.csv").content.decode()
    assert "=" not in "".join(line[:1] for line in report.splitlines())
    for line in report.splitlines()[1:]:
        for cell in line.split(","):
            assert not cell.strip('"').startswith(("=", "+", "-", "@")), line
    assert lead("=1+1").company == "x"
