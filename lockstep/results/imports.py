"""Lead and opportunity imports: Salesforce and HubSpot exports (data and report exports),
or any layout mapped column by column.

Both are bulk specs for `lockstep.core.imports.run_import`: each row is checked once and
staged; the staged rows are upserted by external id with set-based SQL in one short
transaction (`lockstep.core.staging`).

What refuses a row is only what Lockstep relies on: the external id, the owner, dates,
the status, the rejection reason, amounts. Contact data (name, e-mail, phone, company) is
the CRM's: stored as exported; a value that looks malformed, or is longer than its
column, is a warning (a long one is cut at a character boundary)."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.db import connection, models
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.events import Verb
from lockstep.core.imports import (
    MAX_KEPT,
    BulkSpec,
    ColumnPlan,
    ImportKind,
    ImportReport,
    Label,
    RowError,
    RowParser,
    plan_columns,
    register_kind,
)
from lockstep.core.services import emit_event
from lockstep.core.staging import Assign, Stage
from lockstep.orgs.models import Membership, Organization
from lockstep.programs.models import Program
from lockstep.results.business_hours import Calendar
from lockstep.results.models import Lead, LeadStatus, Opportunity, Outcome, RejectionReason
from lockstep.results.parsing import (
    DateColumn,
    ValueProblem,
    looks_like_email,
    looks_like_formula,
    parse_amount,
    truncate,
)
from lockstep.results.services import ensure_rejection_reasons
from lockstep.results.sla import DEFAULT_SLA_HOURS, RepClocks, SlaClock

# --- column labels ----------------------------------------------------------------------------
# Rank: when two columns of one file feed the same field, the higher rank wins. An e-mail
# names exactly one person; a full name may not.
EMAIL_WINS = "an e-mail names one person"

LEAD_PRESETS: dict[str, list[Label]] = {
    "salesforce": [
        # data export (API names) and report export (labels)
        Label("Id", "external_id"), Label("Lead ID", "external_id", 2),
        Label("FirstName", "first_name"), Label("First Name", "first_name"),
        Label("LastName", "last_name"), Label("Last Name", "last_name"),
        Label("Name", "contact_name"), Label("Full Name", "contact_name"),
        Label("Company", "company"), Label("Company / Account", "company"),
        Label("Email", "email"), Label("Phone", "phone"), Label("Mobile", "phone", 0),
        Label("Status", "status"), Label("Lead Status", "status"),
        Label("LeadSource", "source"), Label("Lead Source", "source"),
        Label("Lead Owner", "owner"), Label("Owner Name", "owner"),
        Label("Owner Email", "owner", 2, EMAIL_WINS),
        Label("Lead Owner Email", "owner", 2, EMAIL_WINS),
        Label("OwnerId", "owner", 0),
        Label("CreatedDate", "created_at"), Label("Created Date", "created_at"),
        Label("Create Date", "created_at"),
        Label("Campaign", "campaign"), Label("Campaign Name", "campaign"),
        Label("First Touch", "first_touch_at"), Label("First Touch Date", "first_touch_at"),
        Label("Rejection Reason", "rejection_reason"),
        Label("Rejection Comment", "rejection_comment"),
    ],
    "hubspot": [
        Label("Record ID", "external_id"), Label("Contact ID", "external_id"),
        Label("First Name", "first_name"), Label("Last Name", "last_name"),
        Label("Email", "email"), Label("Company Name", "company"),
        Label("Associated Company", "company", 0),
        Label("Associated Company (Primary)", "company", 0),
        Label("Phone Number", "phone"), Label("Mobile Phone Number", "phone", 0),
        Label("Lead Status", "status"), Label("Contact owner", "owner"),
        Label("Contact owner email", "owner", 2, EMAIL_WINS), Label("HubSpot Owner", "owner"),
        Label("Create Date", "created_at"), Label("Original Source", "source"),
        Label("Campaign", "campaign"), Label("Associated Campaign", "campaign"),
        Label("First Contact", "first_touch_at"),
    ],
}  # fmt: skip
LEAD_FIELDS = (
    "external_id", "first_name", "last_name", "contact_name", "company", "email", "phone",
    "status", "source", "owner", "created_at", "campaign", "first_touch_at",
    "rejection_reason", "rejection_comment",
)  # fmt: skip

OPPORTUNITY_PRESETS: dict[str, list[Label]] = {
    "salesforce": [
        Label("Id", "external_id"), Label("Opportunity ID", "external_id", 2),
        Label("Name", "name"), Label("Opportunity Name", "name"),
        Label("StageName", "stage"), Label("Stage", "stage"),
        Label("Amount", "amount"), Label("CloseDate", "close_date"),
        Label("Close Date", "close_date"), Label("IsWon", "won"), Label("Won", "won"),
        Label("IsClosed", "closed"), Label("Closed", "closed"),
        Label("Opportunity Owner", "owner"), Label("Owner Name", "owner"),
        Label("Owner Email", "owner", 2, EMAIL_WINS),
        Label("Opportunity Owner Email", "owner", 2, EMAIL_WINS),
        Label("CreatedDate", "created_at"), Label("Created Date", "created_at"),
        Label("Campaign Name", "campaign"), Label("Campaign", "campaign"),
        Label("Primary Campaign Source", "campaign"),
        Label("Lead ID", "lead"), Label("Converted Lead ID", "lead"),
        Label("TotalOpportunityQuantity", "quantity"), Label("Quantity", "quantity"),
        Label("CurrencyIsoCode", "currency"), Label("Currency", "currency"),
        Label("Opportunity Currency", "currency"),
    ],
    "hubspot": [
        Label("Record ID", "external_id"), Label("Deal ID", "external_id", 2),
        Label("Deal Name", "name"), Label("Deal Stage", "stage"), Label("Amount", "amount"),
        Label("Close Date", "close_date"), Label("Deal owner", "owner"),
        Label("Deal owner email", "owner", 2, EMAIL_WINS),
        Label("Create Date", "created_at"), Label("Campaign", "campaign"),
        Label("Currency", "currency"), Label("Quantity", "quantity"),
    ],
}  # fmt: skip
OPPORTUNITY_FIELDS = (
    "external_id", "name", "stage", "amount", "currency", "quantity", "close_date", "won",
    "closed", "outcome", "owner", "created_at", "campaign", "lead",
)  # fmt: skip


def _all_presets(presets: dict[str, list[Label]]) -> None:
    """ "auto": every preset's labels at once; "generic": only the field names."""
    merged: dict[str, Label] = {}
    for labels in presets.values():
        for label in labels:
            merged.setdefault("".join(ch for ch in label.label.lower() if ch.isalnum()), label)
    presets["auto"] = list(merged.values())
    presets["generic"] = []


_all_presets(LEAD_PRESETS)
_all_presets(OPPORTUNITY_PRESETS)
PRESET_CHOICES = ("auto", "salesforce", "hubspot", "generic")

STATUS_WORDS = [  # first match wins: "Open - Not Contacted" is new, not "contacted"
    ("not contacted", LeadStatus.NEW), ("not converted", LeadStatus.REJECTED),
    ("unqualified", LeadStatus.REJECTED), ("open_deal", LeadStatus.CONVERTED),
    ("open deal", LeadStatus.CONVERTED),
    ("disqualified", LeadStatus.REJECTED), ("rejected", LeadStatus.REJECTED),
    ("bad timing", LeadStatus.REJECTED), ("bad_timing", LeadStatus.REJECTED),
    ("converted", LeadStatus.CONVERTED), ("accepted", LeadStatus.ACCEPTED),
    ("qualified", LeadStatus.ACCEPTED), ("working", LeadStatus.WORKING),
    ("contacted", LeadStatus.WORKING), ("in progress", LeadStatus.WORKING),
    ("in_progress", LeadStatus.WORKING), ("attempted", LeadStatus.WORKING),
    ("connected", LeadStatus.WORKING), ("new", LeadStatus.NEW), ("open", LeadStatus.NEW),
]  # fmt: skip
DIGIT = re.compile(r"\d")
RISKY_START = frozenset("=+-@")
NEW, REJECTED = LeadStatus.NEW.value, LeadStatus.REJECTED.value


def max_length(model: type[models.Model], name: str) -> int:
    length = getattr(model._meta.get_field(name), "max_length", None)
    return int(length) if length else 1_000_000


def db_type(model: type[models.Model], name: str) -> str:
    return str(model._meta.get_field(name).db_type(connection))


# --- looking things up ----------------------------------------------------------------------


class LookupCache:
    """The organization's members, programs and reasons, loaded once per import."""

    def __init__(self, org: Organization) -> None:
        members = Membership.objects.for_org(org).select_related("user")
        self.people: dict[str, User] = {m.user.email.lower(): m.user for m in members}
        names: dict[str, list[User]] = {}
        for m in members:
            if m.user.full_name:
                names.setdefault(" ".join(str(m.user).lower().split()), []).append(m.user)
        self.people_by_name = {k: v[0] for k, v in names.items() if len(v) == 1}
        self.ambiguous_names = {k for k, v in names.items() if len(v) > 1}
        self.programs: dict[str, Program] = {}
        for program in Program.objects.for_org(org):
            for code in program.campaign_codes:
                self.programs[code.lower()] = program
            self.programs.setdefault(program.name.lower(), program)
        self.sla_hours: dict[int, int] = {p.pk: p.sla_hours for p in self.programs.values()}
        ensure_rejection_reasons(org)
        self.calendar = Calendar.for_org(org)
        self.reasons = {
            key: r
            for r in RejectionReason.objects.for_org(org)
            for key in (r.code, r.label.lower())
        }
        self._owners: dict[str, tuple[int | None, str]] = {}
        self._statuses: dict[str, str | None] = {}

    def person(self, value: str) -> User | None:
        key = " ".join(value.strip().lower().split())
        return self.people.get(key) or self.people_by_name.get(key)

    def owner(self, value: str, org: Organization) -> tuple[int | None, str]:
        """(user id, "") or (None, why not)."""
        found = self._owners.get(value)
        if found is None:
            user = self.person(value)
            key = " ".join(value.strip().lower().split())
            if user is not None:
                found = (user.pk, "")
            elif key in self.ambiguous_names:
                found = (
                    None,
                    f"several members of {org.name} are called “{value[:60]}”: use the "
                    "owner's e-mail (e.g. the “Owner Email” column)",
                )
            else:
                found = (None, f"no member of {org.name} is “{value[:60]}”")
            self._owners[value] = found
        return found

    def status(self, value: str) -> str | None:
        if value not in self._statuses:
            lowered = value.lower()
            found = next((s for w, s in STATUS_WORDS if w in lowered), None)
            self._statuses[value] = found.value if found is not None else None
        return self._statuses[value]

    def hours(self, program_id: int | None) -> int:
        if program_id is None:
            return DEFAULT_SLA_HOURS
        return self.sla_hours.get(program_id, DEFAULT_SLA_HOURS)


def to_db_datetime() -> Callable[[dt.datetime], Any]:
    """Datetimes as the database stores them, converted once per distinct value."""
    memo: dict[dt.datetime, Any] = {}
    postgres = connection.vendor == "postgresql"

    def convert(value: dt.datetime) -> Any:
        found = memo.get(value)
        if found is None:
            found = (
                value.astimezone(dt.UTC)
                if postgres
                else value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ")
            )
            if len(memo) > 20_000:
                memo.clear()
            memo[value] = found
        return found

    return convert


def from_db_datetime(value: Any) -> dt.datetime | None:
    if value is None or isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else None
    return dt.datetime.fromisoformat(str(value)).replace(tzinfo=dt.UTC)


# --- the shared part of both specs ------------------------------------------------------------


class CrmSpec(BulkSpec):
    fields: tuple[str, ...] = ()
    presets: dict[str, list[Label]] = {}
    required_columns: tuple[str, ...] = ("external_id",)
    model: type[models.Model] = Lead

    def __init__(
        self,
        org: Organization,
        preset: str = "auto",
        overrides: dict[str, str] | None = None,
    ) -> None:
        self.org = org
        self.labels = self.presets.get(preset, self.presets["auto"])
        self.overrides = overrides or {}
        self.cache = LookupCache(org)
        self.clock = SlaClock(self.cache.calendar)
        self.clocks = RepClocks(org)  # a lead is timed by its rep's team's calendar
        self.now = timezone.now()
        self.columns: dict[str, int] = {}
        self.header: list[str] = []
        self.dates: dict[str, DateColumn] = {}

    @property
    def optional_columns(self) -> tuple[str, ...]:
        return self.fields[1:]

    def plan(self, header: list[str]) -> ColumnPlan:
        plan = plan_columns(header, self.labels, self.overrides, self.fields, ("external_id",))
        self.columns, self.header = plan.columns, header
        return plan

    def mapped(self, *names: str) -> bool:
        return any(n in self.columns for n in names)

    def date_columns(self, names: Sequence[str], attempt: int) -> dict[str, DateColumn]:
        """One reader per date column; a second pass keeps the orders the first decided."""
        before = self.dates
        self.dates = {
            name: DateColumn(
                self.header[self.columns[name]],
                fallback=self.org.date_order,
                tz=self.org.tzinfo,
                fixed=before[name].order if attempt > 1 and name in before else None,
            )
            for name in names
            if name in self.columns
        }
        return self.dates


class CrmParser(RowParser):
    """What both parsers share: the external id, contact text, owner, dates."""

    def __init__(self, spec: CrmSpec, dates: dict[str, DateColumn]) -> None:
        self.spec, self.org, self.cache = spec, spec.org, spec.cache
        self.dates = dates
        self.id_index = spec.columns["external_id"]
        self.id_limit = max_length(spec.model, "external_id")
        self.owner_index = spec.columns.get("owner")
        self.owners: dict[str, tuple[int | None, str]] = {}
        self.db_datetime = to_db_datetime()
        self.text_slots: list[tuple[int, int, int, str]] = []
        self.blank_texts: list[str] = []

    def slots(self, specs: Sequence[tuple[str, str, int]]) -> None:
        """Which text fields this parser reads, and where each goes in `texts_of`."""
        self.blank_texts = [""] * len(specs)
        self.text_slots = [
            (slot, self.spec.columns[field], limit, field)
            for slot, (field, _, limit) in enumerate(specs)
            if field in self.spec.columns
        ]

    def external_id(self, cells: list[str], number: int, errors: list[RowError]) -> str:
        value = cells[self.id_index].strip()
        if not value:
            errors.append(RowError(number, "external_id", "every record needs its CRM id"))
        elif len(value) > self.id_limit:
            errors.append(
                RowError(number, "external_id", f"longer than {self.id_limit} characters")
            )
        elif "\x00" in value:
            errors.append(RowError(number, "external_id", "contains a NUL character"))
        return value

    @staticmethod
    def text(value: str, field: str, limit: int, number: int, warnings: list[RowError]) -> str:
        value = value.strip()
        if "\x00" in value:
            value = value.replace("\x00", "")
            warnings.append(RowError(number, field, "a NUL character was removed"))
        if len(value) > limit:
            warnings.append(
                RowError(number, field, f"{len(value)} characters, kept the first {limit}")
            )
            value = truncate(value, limit)
        if value[:1] in RISKY_START and looks_like_formula(value):
            warnings.append(
                RowError(
                    number, field,
                    "looks like a spreadsheet formula: stored as given, escaped in exports",
                )
            )  # fmt: skip
        return value

    def owner(self, cells: list[str], number: int, errors: list[RowError]) -> int | None:
        if self.owner_index is None:
            return None
        raw = cells[self.owner_index]
        found = self.owners.get(raw)
        if found is None:
            value = raw.strip()
            found = self.cache.owner(value, self.org) if value else (None, "")
            self.owners[raw] = found
        if found[1]:
            errors.append(RowError(number, "owner", found[1]))
        return found[0]

    def texts_of(self, cells: list[str], number: int, warnings: list[RowError]) -> list[str]:
        """The mapped text cells, in `self.text_slots` order ("" for unmapped ones); the
        rare value that is too long, holds a NUL or looks like a formula takes `text`."""
        values = list(self.blank_texts)
        text = self.text
        for slot, index, limit, field in self.text_slots:
            value = cells[index].strip()
            if value and (len(value) > limit or value[0] in RISKY_START or "\x00" in value):
                value = text(value, field, limit, number, warnings)
            values[slot] = value
        return values

    def date(
        self, name: str, cells: list[str], number: int, errors: list[RowError]
    ) -> dt.datetime | None:
        column = self.dates.get(name)
        if column is None:
            return None
        value = cells[self.spec.columns[name]]
        if not value.strip():
            return None
        try:
            read = column.read(value, number)
        except ValueProblem as exc:
            errors.append(RowError(number, name, str(exc)))
            return None
        if column.misread:
            self.restart = True  # earlier rows read this column the other way: read again
        return read

    def finish(self, report: ImportReport) -> bool:
        refused = False
        for name, column in self.dates.items():
            problem = column.contradiction()
            if problem:
                later = max(p.row for p in column.proof.values())
                report.reject([RowError(later, name, problem)])
                refused = True
        if not refused and any(c.needs_second_pass() for c in self.dates.values()):
            return True
        for column in self.dates.values():
            note = column.note()
            if note:
                report.notes.append(note)
        return False


# --- leads ------------------------------------------------------------------------------------

LEAD_TEXT = [  # (field, model field, limit)
    (name, name, max_length(Lead, name))
    for name in ("company", "email", "phone", "source", "campaign", "rejection_comment")
]
NAME_LIMIT = max_length(Lead, "contact_name")


class LeadsSpec(CrmSpec):
    kind = "leads"
    table = Lead._meta.db_table
    fields = LEAD_FIELDS
    presets = LEAD_PRESETS
    model = Lead

    def stage_columns(self) -> list[tuple[str, str]]:
        return [
            ("external_id", db_type(Lead, "external_id")),
            ("contact_name", db_type(Lead, "contact_name")),
            ("company", db_type(Lead, "company")),
            ("email", db_type(Lead, "email")),
            ("phone", db_type(Lead, "phone")),
            ("source", db_type(Lead, "source")),
            ("campaign", db_type(Lead, "campaign")),
            ("program_id", db_type(Lead, "program")),
            ("rep_id", db_type(Lead, "rep")),
            ("status", db_type(Lead, "status")),
            ("created_at", db_type(Lead, "created_at")),
            ("created_given", "integer"),
            ("first_touch_at", db_type(Lead, "first_touch_at")),
            ("sla_due_at", db_type(Lead, "sla_due_at")),
            ("first_touch_seconds", "integer"),
            ("rejection_reason_id", db_type(Lead, "rejection_reason")),
            ("rejection_comment", db_type(Lead, "rejection_comment")),
        ]

    def start(self, plan: ColumnPlan, attempt: int) -> RowParser:
        return LeadParser(self, self.date_columns(("created_at", "first_touch_at"), attempt))

    def assigns(self) -> list[Assign]:
        """New leads take every staged value; existing ones only what the file maps (a
        file without a company column leaves companies alone) plus the SLA fields."""
        mapped = self.mapped

        def field(name: str, when: bool, update: str | None = None) -> Assign:
            return Assign(name, f"s.{name}", (update or f"s.{name}") if when else None)

        touch = (
            "CASE WHEN s.first_touch_at IS NULL THEN t.first_touch_seconds "
            "ELSE s.first_touch_seconds END"
        )
        status = mapped("status")
        return [
            field("external_id", False),
            field("contact_name", mapped("contact_name", "first_name", "last_name")),
            field("company", mapped("company")),
            field("email", mapped("email")),
            field("phone", mapped("phone")),
            field("source", mapped("source")),
            field("campaign", mapped("campaign")),
            # a campaign that matches no program keeps marketing's assignment
            field("program_id", mapped("campaign"), "COALESCE(s.program_id, t.program_id)"),
            field("rep_id", mapped("owner")),
            field("status", status),
            field("rejection_reason_id", status),
            field("rejection_comment", status),
            field("created_at", True),
            field("sla_due_at", True),
            field("first_touch_at", True, "COALESCE(s.first_touch_at, t.first_touch_at)"),
            field("first_touch_seconds", True, touch),
        ]

    def prepare(self, stage: Stage, report: ImportReport) -> None:
        """Rows whose deadline depends on the stored lead (no creation time in the file, a
        campaign that keeps the stored program, a touch recorded in Lockstep whose
        creation time the file changes): recompute with the one SLA function."""
        if not Lead.objects.for_org(self.org).exists():
            return
        changed = stage.differs("t.created_at", "s.created_at")
        rep = "s.rep_id" if self.mapped("owner") else "t.rep_id"
        # without an owner column the stored rep's calendar decides, unknown when parsing
        by_stored_rep = "" if self.mapped("owner") or self.clocks.calendars.uniform else "OR 1 = 1 "
        query = (
            "SELECT s._row, s.created_given, s.created_at, s.first_touch_at, s.program_id, "
            f"t.created_at, t.first_touch_at, t.program_id, {rep} {stage.joined(self.table)} "
            "WHERE t.org_id = %s AND t.external_id = s.external_id AND (s.created_given = 0 "
            "OR (s.program_id IS NULL AND t.program_id IS NOT NULL) "
            f"{by_stored_rep}"
            f"OR (s.first_touch_at IS NULL AND t.first_touch_at IS NOT NULL AND {changed}))"
        )
        fixes = []
        for row in stage.rows(query, [self.org.pk]):
            number, given, s_created, s_touch, s_program, t_created, t_touch, t_program = row[:8]
            created = from_db_datetime(s_created if given else t_created)
            touch = from_db_datetime(s_touch) or from_db_datetime(t_touch)
            if created is None:  # both columns are NOT NULL
                continue
            clock = self.clocks.for_rep(row[8])
            due = clock.deadline(created, self.cache.hours(s_program or t_program))
            seconds = clock.business_seconds(created, touch) if touch else None
            convert = stage.db_datetime
            fixes.append(
                (convert(created), convert(touch) if touch else None,
                 convert(due) if due else None, seconds, number)
            )  # fmt: skip
        columns = ("created_at", "first_touch_at", "sla_due_at", "first_touch_seconds")
        stage.update_rows(columns, fixes)

    def classify(self, stage: Stage) -> Counter[str]:
        return Counter(stage.classify("results_lead", self.org.pk, self.assigns()))

    def write(
        self, stage: Stage, acting_user: User | None, progress: Callable[[float], None]
    ) -> Counter[str]:
        counts = stage.upsert(
            "results_lead", self.org.pk, self.assigns(),
            stamp=("imported_at", stage.db_datetime(timezone.now())), progress=progress,
        )  # fmt: skip
        if counts["created"] or counts["updated"]:
            per_program = stage.fetch(
                "SELECT program_id, count(*) FROM {stage} GROUP BY program_id"
            )
            for program_id, rows in per_program:
                emit_event(
                    org=self.org, actor=acting_user, verb=Verb.LEAD_IMPORTED,
                    program_id=program_id, payload={"rows": int(rows), **counts},
                )  # fmt: skip
        return Counter(counts)


class LeadParser(CrmParser):
    def __init__(self, spec: LeadsSpec, dates: dict[str, DateColumn]) -> None:
        super().__init__(spec, dates)
        columns = spec.columns
        self.slots(LEAD_TEXT)
        self.name_index = columns.get("contact_name")
        self.first_index, self.last_index = columns.get("first_name"), columns.get("last_name")
        self.status_index = columns.get("status")
        self.reason_index = columns.get("rejection_reason")
        self.created = (
            (dates["created_at"], columns["created_at"]) if "created_at" in dates else None
        )
        self.touched = (
            (dates["first_touch_at"], columns["first_touch_at"])
            if "first_touch_at" in dates
            else None
        )
        self.now = self.db_datetime(spec.now)
        self.deadlines: dict[tuple[dt.datetime, int, SlaClock], Any] = {}
        self.statuses: dict[str, str | None] = {}
        self.programs: dict[str, tuple[int | None, int]] = {}

    def parse(
        self, number: int, cells: list[str], errors: list[RowError], warnings: list[RowError]
    ) -> tuple[Any, ...] | None:
        external_id = cells[self.id_index].strip()
        if not external_id or len(external_id) > self.id_limit or "\x00" in external_id:
            self.bad_id(external_id, number, errors)
        company, email, phone, source, campaign, comment = self.texts_of(cells, number, warnings)
        name = self.contact_name(cells, number, warnings)
        if email and not looks_like_email(email):
            warnings.append(
                RowError(number, "email", f"“{email[:60]}” does not look like an e-mail address")
            )
        if phone and not DIGIT.search(phone):
            warnings.append(RowError(number, "phone", f"“{phone[:40]}” has no digits"))
        rep_id = self.owner(cells, number, errors) if self.owner_index is not None else None
        status = NEW
        if self.status_index is not None:
            raw_status = cells[self.status_index]
            status = self.statuses.get(raw_status) or self.read_status(raw_status, number, errors)
        created = touched = None
        if self.created is not None:
            created = self.read_date("created_at", *self.created, cells, number, errors)
        if self.touched is not None:
            touched = self.read_date("first_touch_at", *self.touched, cells, number, errors)
        program = self.programs.get(campaign)
        if program is None:
            found = self.cache.programs.get(campaign.lower()) if campaign else None
            program = (found.pk, found.sla_hours) if found else (None, DEFAULT_SLA_HOURS)
            self.programs[campaign] = program
        reason_id = None
        if status == REJECTED:
            reason_id, comment = self.rejection(cells, number, errors, comment)
        if errors:
            return None
        convert = self.db_datetime
        start = created or self.spec.now
        clock = self.spec.clocks.for_rep(rep_id)
        due = self.deadlines.get((start, program[1], clock))
        if due is None:
            due = self.deadline(start, program[1], clock)
        seconds = clock.business_seconds(start, touched) if touched else None
        return (
            external_id, name, company, email, phone, source, campaign, program[0], rep_id,
            status, self.now if created is None else convert(created), int(created is not None),
            convert(touched) if touched else None, due, seconds, reason_id, comment,
        )  # fmt: skip

    def bad_id(self, value: str, number: int, errors: list[RowError]) -> None:
        if not value:
            errors.append(RowError(number, "external_id", "every record needs its CRM id"))
        elif len(value) > self.id_limit:
            errors.append(
                RowError(number, "external_id", f"longer than {self.id_limit} characters")
            )
        else:
            errors.append(RowError(number, "external_id", "contains a NUL character"))

    def read_status(self, raw: str, number: int, errors: list[RowError]) -> str:
        value = raw.strip()
        status = self.cache.status(value) if value else NEW
        if status is None:
            errors.append(
                RowError(number, "status", f"“{value[:40]}” is not a lead status we know")
            )
            return NEW
        self.statuses[raw] = status
        return status

    def read_date(
        self, name: str, column: DateColumn, index: int, cells: list[str], number: int,
        errors: list[RowError],
    ) -> dt.datetime | None:  # fmt: skip
        value = cells[index]
        if not value or value.isspace():
            return None
        try:
            read = column.read(value, number)
        except ValueProblem as exc:
            errors.append(RowError(number, name, str(exc)))
            return None
        if column.misread:
            self.restart = True  # earlier rows read this column the other way: read again
        return read

    def rejection(
        self, cells: list[str], number: int, errors: list[RowError], comment: str
    ) -> tuple[int | None, str]:
        raw = cells[self.reason_index].strip() if self.reason_index is not None else ""
        reason = self.cache.reasons.get(raw.lower() or "other")
        if reason is None:
            errors.append(
                RowError(number, "rejection_reason", f"“{raw[:40]}” is not a rejection reason")
            )
        if not raw and not comment:
            status = cells[self.status_index].strip() if self.status_index is not None else ""
            comment = f"Imported as “{status}”"
        return (reason.pk if reason else None), comment

    def contact_name(self, cells: list[str], number: int, warnings: list[RowError]) -> str:
        if self.name_index is not None and cells[self.name_index].strip():
            raw = cells[self.name_index].strip()
        else:
            first = cells[self.first_index].strip() if self.first_index is not None else ""
            last = cells[self.last_index].strip() if self.last_index is not None else ""
            raw = f"{first} {last}" if first and last else first or last
        if raw and (len(raw) > NAME_LIMIT or raw[0] in RISKY_START or "\x00" in raw):
            return self.text(raw, "contact_name", NAME_LIMIT, number, warnings)
        return raw

    def deadline(self, created: dt.datetime, hours: int, clock: SlaClock) -> Any:
        due = clock.deadline(created, hours)
        found = self.db_datetime(due) if due is not None else None
        if len(self.deadlines) > 20_000:
            self.deadlines.clear()
        self.deadlines[(created, hours, clock)] = found
        return found


# --- opportunities ----------------------------------------------------------------------------

OPPORTUNITY_TEXT = [
    (name, name, max_length(Opportunity, name)) for name in ("name", "stage", "campaign")
]
TRUTHY = {"true", "1", "yes", "y", "x"}


class OpportunitiesSpec(CrmSpec):
    kind = "opportunities"
    table = Opportunity._meta.db_table
    fields = OPPORTUNITY_FIELDS
    presets = OPPORTUNITY_PRESETS
    model = Opportunity

    def stage_columns(self) -> list[tuple[str, str]]:
        o = Opportunity
        return [
            ("external_id", db_type(o, "external_id")), ("name", db_type(o, "name")),
            ("stage", db_type(o, "stage")), ("amount", db_type(o, "amount")),
            ("currency", db_type(o, "currency")), ("quantity", db_type(o, "quantity")),
            ("campaign", db_type(o, "campaign")), ("program_id", db_type(o, "program")),
            ("owner_id", db_type(o, "owner")), ("created_at", db_type(o, "created_at")),
            ("created_given", "integer"), ("close_date", db_type(o, "close_date")),
            ("outcome", db_type(o, "outcome")), ("lead_external_id", db_type(Lead, "external_id")),
            ("lead_id", db_type(o, "lead")),
        ]  # fmt: skip

    def start(self, plan: ColumnPlan, attempt: int) -> RowParser:
        return OpportunityParser(self, self.date_columns(("created_at", "close_date"), attempt))

    def assigns(self) -> list[Assign]:
        mapped = self.mapped

        def field(name: str, when: bool, update: str | None = None) -> Assign:
            return Assign(name, f"s.{name}", (update or f"s.{name}") if when else None)

        created = "CASE WHEN s.created_given = 1 THEN s.created_at ELSE t.created_at END"
        return [
            field("external_id", False),
            field("name", mapped("name")),
            field("stage", mapped("stage")),
            field("amount", mapped("amount")),
            field("currency", mapped("currency")),
            field("quantity", mapped("quantity")),
            field("campaign", mapped("campaign")),
            field("program_id", mapped("campaign"), "COALESCE(s.program_id, t.program_id)"),
            field("owner_id", mapped("owner")),
            field("created_at", True, created),
            field("close_date", mapped("close_date")),
            field("outcome", mapped("outcome", "won", "closed", "stage")),
            field("lead_id", mapped("lead"), "COALESCE(s.lead_id, t.lead_id)"),
        ]

    def prepare(self, stage: Stage, report: ImportReport) -> None:
        """Link each opportunity to its lead by the lead's external id."""
        if "lead" not in self.columns:
            return
        stage.execute(
            "UPDATE {stage} SET lead_id = (SELECT l.id FROM results_lead l WHERE l.org_id = %s "
            "AND l.external_id = {stage}.lead_external_id) WHERE lead_external_id <> ''",
            [self.org.pk],
        )
        missing = "FROM {stage} WHERE lead_external_id <> '' AND lead_id IS NULL"
        count = int(stage.fetch("SELECT count(*) " + missing)[0][0])
        for row, lead in stage.fetch(
            f"SELECT _row, lead_external_id {missing} ORDER BY _row LIMIT {MAX_KEPT}"
        ):
            report.warn(
                RowError(int(row), "lead", f"no lead “{lead}” in Lockstep: kept without its lead")
            )
        report.warning_count += max(0, count - MAX_KEPT)

    def classify(self, stage: Stage) -> Counter[str]:
        return Counter(stage.classify("results_opportunity", self.org.pk, self.assigns()))

    def write(
        self, stage: Stage, acting_user: User | None, progress: Callable[[float], None]
    ) -> Counter[str]:
        """Upsert, and the events results count: opportunity.created for each new one,
        opportunity.won for each that is won now and was not before (actor: its owner)."""
        now = stage.db_datetime(timezone.now())
        payload = stage.json_object("'external_id'", "t.external_id", "'source'", "'import'")
        events = (
            "INSERT INTO core_activityevent (org_id, actor_id, verb, program_id, object_type, "
            f"object_id, occurred_at, payload) SELECT t.org_id, t.owner_id, %s, t.program_id, "
            f"'opportunity', t.id, {{at}}, {payload} "
        )
        if self.mapped("outcome", "won", "closed", "stage"):
            stage.execute(
                events.replace("{at}", "%s")
                + stage.joined(self.table)
                + " WHERE t.org_id = %s AND t.external_id = s.external_id "
                "AND s.outcome = 'won' AND t.outcome <> 'won'",
                [Verb.OPPORTUNITY_WON.value, now, self.org.pk],
            )
        before = stage.fetch(
            "SELECT coalesce(max(id), 0) FROM results_opportunity WHERE org_id = %s", [self.org.pk]
        )[0][0]
        counts = stage.upsert(
            "results_opportunity", self.org.pk, self.assigns(),
            stamp=("imported_at", now), progress=progress,
        )  # fmt: skip
        if counts["created"]:
            new = "FROM results_opportunity t WHERE t.org_id = %s AND t.id > %s"
            stage.execute(
                events.replace("{at}", "t.created_at") + new,
                [Verb.OPPORTUNITY_CREATED.value, self.org.pk, before],
            )
            stage.execute(
                events.replace("{at}", "%s") + new + " AND t.outcome = 'won'",
                [Verb.OPPORTUNITY_WON.value, now, self.org.pk, before],
            )
        return Counter(counts)


class OpportunityParser(CrmParser):
    def __init__(self, spec: OpportunitiesSpec, dates: dict[str, DateColumn]) -> None:
        super().__init__(spec, dates)
        columns = spec.columns
        self.slots(OPPORTUNITY_TEXT)
        self.index = {name: columns.get(name) for name in OPPORTUNITY_FIELDS}
        self.now = self.db_datetime(spec.now)
        self.postgres = connection.vendor == "postgresql"

    def cell(self, cells: list[str], name: str) -> str:
        index = self.index[name]
        return cells[index].strip() if index is not None else ""

    def parse(
        self, number: int, cells: list[str], errors: list[RowError], warnings: list[RowError]
    ) -> tuple[Any, ...] | None:
        external_id = self.external_id(cells, number, errors)
        name, stage, campaign = self.texts_of(cells, number, warnings)
        owner_id = self.owner(cells, number, errors)
        amounts: dict[str, Decimal | None] = {"amount": None, "quantity": None}
        for field in amounts:
            raw = self.cell(cells, field)
            if raw:
                try:
                    amounts[field] = parse_amount(raw)
                except ValueProblem as exc:
                    errors.append(RowError(number, field, str(exc)))
        currency = self.cell(cells, "currency").upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            errors.append(RowError(number, "currency", f"“{currency[:10]}” is not a currency code"))
        created = self.date("created_at", cells, number, errors)
        closes = self.date("close_date", cells, number, errors)
        lead = self.cell(cells, "lead")
        if len(lead) > self.id_limit:
            errors.append(RowError(number, "lead", f"longer than {self.id_limit} characters"))
        if errors:
            return None
        program = self.cache.programs.get(campaign.lower()) if campaign else None
        close_date = None
        if closes is not None:
            day = closes.date()
            close_date = day if self.postgres else day.isoformat()
        return (
            external_id, name, stage, amounts["amount"], currency,
            amounts["quantity"], campaign, program.pk if program else None, owner_id,
            self.db_datetime(created) if created else self.now, int(created is not None),
            close_date, self.outcome(cells, stage), lead, None,
        )  # fmt: skip

    def outcome(self, cells: list[str], stage: str) -> str:
        explicit = self.cell(cells, "outcome").lower()
        if explicit in Outcome.values:
            return explicit
        lowered = stage.lower()
        if self.cell(cells, "won").lower() in TRUTHY or "won" in lowered:
            return Outcome.WON.value
        closed = self.cell(cells, "closed").lower() in TRUTHY
        if closed or "lost" in lowered or "closed" in lowered:
            return Outcome.LOST.value
        return Outcome.OPEN.value


# --- the registry -----------------------------------------------------------------------------


def _leads(
    org: Organization, *, preset: str = "auto", mapping: dict[str, str] | None = None
) -> LeadsSpec:
    return LeadsSpec(org, preset, mapping)


def _opportunities(
    org: Organization, *, preset: str = "auto", mapping: dict[str, str] | None = None
) -> OpportunitiesSpec:
    return OpportunitiesSpec(org, preset, mapping)


# What the mapping screen shows for each field (the internal names stay in the API and CSVs).
LEAD_FIELD_LABELS = {
    "external_id": "CRM record ID (required)", "first_name": "First name",
    "last_name": "Last name", "contact_name": "Contact's full name", "company": "Company",
    "email": "E-mail", "phone": "Phone", "status": "Lead status", "source": "Lead source",
    "owner": "Owner (rep's e-mail or name)", "created_at": "Created on (date and time)",
    "campaign": "Campaign", "first_touch_at": "First touch (date and time)",
    "rejection_reason": "Rejection reason", "rejection_comment": "Rejection comment",
}  # fmt: skip
OPPORTUNITY_FIELD_LABELS = {
    "external_id": "CRM record ID (required)", "name": "Opportunity name", "stage": "Stage",
    "amount": "Amount", "currency": "Currency", "quantity": "Quantity (units)",
    "close_date": "Close date", "won": "Won (yes/no)", "closed": "Closed (yes/no)",
    "outcome": "Outcome (open, won, lost)", "owner": "Owner (rep's e-mail or name)",
    "created_at": "Created on (date and time)", "campaign": "Campaign",
    "lead": "Lead (its CRM record ID)",
}  # fmt: skip

LEADS = register_kind(
    ImportKind(
        name="leads", label="Leads", fields=LEAD_FIELDS, required=("external_id",),
        make_spec=_leads, presets=PRESET_CHOICES, in_browser=True,
        field_labels=LEAD_FIELD_LABELS,
    )
)  # fmt: skip
OPPORTUNITIES = register_kind(
    ImportKind(
        name="opportunities", label="Opportunities", fields=OPPORTUNITY_FIELDS,
        required=("external_id",), make_spec=_opportunities, presets=PRESET_CHOICES,
        in_browser=True, field_labels=OPPORTUNITY_FIELD_LABELS,
    )
)  # fmt: skip
