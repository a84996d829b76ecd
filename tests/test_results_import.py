"""Lead and opportunity imports: the corpus of awkward files under tests/data/leads/."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from openpyxl import Workbook

from lockstep.core.imports import ImportReport, run_import
from lockstep.results.imports import LeadsSpec, OpportunitiesSpec
from lockstep.results.models import Lead, LeadStatus, Opportunity, Outcome
from lockstep.results.parsing import ValueProblem, parse_amount, parse_datetime
from tests.conftest import World
from tests.scenarios import make_program

DATA = Path(__file__).parent / "data" / "leads"


def leads(world: World, name: str, preset: str = "salesforce", **kw: Any) -> ImportReport:
    with (DATA / name).open("rb") as stream:
        return run_import(LeadsSpec(world.org, preset), stream, acting_user=None, **kw)


@pytest.fixture
def atlas(world: World) -> None:
    make_program(world, name="Atlas", campaign_codes=["ATLAS"])


@pytest.mark.parametrize(
    "name", ["salesforce_report.csv", "salesforce_semicolon_bom.csv", "salesforce_utf16.csv"]
)
def test_salesforce_exports_in_any_encoding_and_delimiter(
    world: World, atlas: None, name: str
) -> None:
    report = leads(world, name)
    assert report.ok, report.errors
    assert report.counts["created"] == 3
    a, b, c = (Lead.objects.get(external_id=f"00Q{i}") for i in (1, 2, 3))
    assert (a.contact_name, a.company, a.rep, a.status) == (
        "Ana Lopez",
        "Acme GmbH",
        world.rep,
        "new",
    )
    assert a.program and a.program.name == "Atlas" and b.program == a.program  # code, any case
    assert b.status == LeadStatus.WORKING
    assert b.created_at.day == 11 and b.created_at.month == 3  # org reads dates day first
    assert c.company == "Gamma, Inc." and c.program is None  # unmatched: kept for assignment
    assert (
        c.status == LeadStatus.REJECTED
        and c.rejection_reason
        and c.rejection_reason.code == "other"
    )


def test_reimport_changes_nothing_and_updates_changed_rows(world: World, atlas: None) -> None:
    assert leads(world, "salesforce_report.csv").counts["created"] == 3
    again = leads(world, "salesforce_report.csv")
    assert (again.counts["created"], again.counts["updated"], again.counts["unchanged"]) == (
        0,
        0,
        3,
    )
    text = (DATA / "salesforce_report.csv").read_text().replace("Acme GmbH", "Acme AG")
    changed = run_import(
        LeadsSpec(world.org, "salesforce"), io.BytesIO(text.encode()), acting_user=None
    )
    assert (
        changed.counts["updated"] == 1 and Lead.objects.get(external_id="00Q1").company == "Acme AG"
    )


def test_latin1_and_hubspot(world: World) -> None:
    assert leads(world, "latin1.csv").ok
    assert Lead.objects.get(external_id="00Q9").contact_name == "Jürgen Müller"
    report = leads(world, "hubspot_export.csv", preset="hubspot")
    assert report.ok and Lead.objects.get(external_id="501").source == "Organic Search"


def test_quoted_newlines(world: World) -> None:
    assert leads(world, "quoted_newlines.csv", preset="generic").ok
    assert Lead.objects.get(external_id="q1").company == "Line one\nLine two"


BAD = [
    ("missing_required_column.csv", "salesforce", 1, "external_id", "no column holds"),
    ("unknown_owner.csv", "salesforce", 2, "owner", "nobody@nowhere.example"),
    ("duplicate_ids.csv", "generic", 4, "external_id", "already on row 2"),
    ("bad_dates.csv", "generic", 2, "created_at", "is not a date"),
    ("bad_dates.csv", "generic", 3, "created_at", "is not a date"),
    ("empty.csv", "generic", 1, "", "empty"),
]


@pytest.mark.parametrize(("name", "preset", "row", "column", "message"), BAD)
def test_bad_files_are_reported_and_write_nothing(
    world: World, name: str, preset: str, row: int, column: str, message: str
) -> None:
    report = leads(world, name, preset=preset)
    assert not report.ok
    assert any(
        e.row == row and e.column == column and message in e.message for e in report.errors
    ), report.errors
    assert not Lead.objects.exists() and not report.written


def test_formula_looking_cells_are_stored_and_warned_phone_numbers_are_fine(world: World) -> None:
    """Contact data is the CRM's: a cell a spreadsheet would run is stored as given (every
    CSV Lockstep writes escapes it) and listed as a warning; a phone number is no formula."""
    report = leads(world, "formula_cells.csv", preset="generic")
    assert report.ok and report.counts["created"] == 3
    assert Lead.objects.get(external_id="f1").company == '=HYPERLINK("http://evil.example")'
    assert Lead.objects.get(external_id="f3").phone == "+1 555 0100"
    assert {(w.row, w.column) for w in report.warnings} == {(2, "company"), (3, "company")}


def test_header_only_and_a_ten_megabyte_field(world: World, tmp_path: Path) -> None:
    assert leads(world, "header_only.csv", preset="generic").rows == 0
    huge = tmp_path / "huge.csv"
    huge.write_text('external_id,company\nh1,"' + "x" * (10 * 1024 * 1024) + '"\n')
    with huge.open("rb") as stream:
        report = run_import(LeadsSpec(world.org), stream, acting_user=None)
    assert not report.ok and not Lead.objects.exists()


def test_dry_run_counts_and_writes_nothing(world: World, atlas: None) -> None:
    report = leads(world, "salesforce_report.csv", dry_run=True)
    assert report.ok and report.counts["created"] == 3 and not Lead.objects.exists()


def test_xlsx(world: World, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Lead ID", "Company", "Lead Owner", "Created Date"])
    sheet.append(["X1", "Excel Ltd", "rep@acme.example", "2026-11-05"])
    path = tmp_path / "leads.xlsx"
    book.save(path)
    with path.open("rb") as stream:
        report = run_import(LeadsSpec(world.org, "salesforce"), stream, acting_user=None)
    assert report.ok, report.errors
    assert Lead.objects.get(external_id="X1").rep == world.rep


def test_opportunities(world: World, atlas: None) -> None:
    leads(world, "salesforce_report.csv")
    with (DATA / "opportunities_salesforce.csv").open("rb") as stream:
        report = run_import(OpportunitiesSpec(world.org, "salesforce"), stream, acting_user=None)
    assert report.ok, report.errors
    won = Opportunity.objects.get(external_id="006A")
    assert (won.amount, won.outcome, won.lead and won.lead.external_id) == (
        Decimal("12500.00"),
        Outcome.WON,
        "00Q1",
    )
    assert Opportunity.objects.get(external_id="006B").amount == Decimal("3400.50")
    with (DATA / "negative_amount.csv").open("rb") as stream:
        bad = run_import(OpportunitiesSpec(world.org, "salesforce"), stream, acting_user=None)
    assert bad.rejected_rows == 2 and "negative" in bad.errors[0].message


def test_cli_import_leads_with_mapping_and_exit_code(
    world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "custom.csv"
    path.write_text("Deal Ref,Account\nc1,Custom Co\n")
    call_command(
        "import",
        "leads",
        str(path),
        "--org",
        "acme",
        "--map",
        "Deal Ref=external_id",
        "--map",
        "Account=company",
    )
    assert Lead.objects.get(external_id="c1").company == "Custom Co"
    with pytest.raises(CommandError, match="rejected"):
        call_command(
            "import",
            "leads",
            str(DATA / "unknown_owner.csv"),
            "--org",
            "acme",
            "--preset",
            "salesforce",
        )
    assert "nobody@nowhere.example" in capsys.readouterr().err
    with pytest.raises(CommandError, match="Unknown field"):
        call_command("import", "leads", str(path), "--org", "acme", "--map", "Deal Ref=bogus")


@pytest.mark.parametrize(
    ("text", "order", "expected"),
    [
        ("03/04/2026", "dmy", (2026, 4, 3)),
        ("03/04/2026", "mdy", (2026, 3, 4)),
        ("31/12/2026", "mdy", (2026, 12, 31)),
        ("2026-12-31", "mdy", (2026, 12, 31)),
        ("31.12.2026", "dmy", (2026, 12, 31)),
        ("12/31/2026 5:30 PM", "dmy", (2026, 12, 31)),
    ],
)
def test_dates(world: World, text: str, order: str, expected: tuple[int, int, int]) -> None:
    parsed = parse_datetime(text, date_order=order, tz=world.org.tzinfo)
    assert (parsed.year, parsed.month, parsed.day) == expected and parsed.tzinfo is not None


@pytest.mark.parametrize("text", ["", "soon", "2026-02-30", "1/1/1850"])
def test_bad_dates(world: World, text: str) -> None:
    with pytest.raises(ValueProblem):
        parse_datetime(text, date_order="dmy", tz=world.org.tzinfo)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("$1,234.56", "1234.56"),
        ("€1.234,56", "1234.56"),
        ("1 234,56", "1234.56"),
        ("EUR 1234", "1234.00"),
        ("1,5", "1.50"),
        ("12.50", "12.50"),
        ("1,234,567.8", "1234567.80"),
    ],
)
def test_amounts(text: str, expected: str) -> None:
    assert parse_amount(text) == Decimal(expected)
