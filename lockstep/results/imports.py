"""Lead and opportunity imports: Salesforce and HubSpot export columns, or your own mapping.

Both are streaming specs for `lockstep.core.imports.run_import`: validated row by row,
upserted by external id in batches, so a million-row export imports in flat memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.imports import OrgSpec, RowError, SeenIds
from lockstep.orgs.models import Membership, Organization
from lockstep.programs.models import Program
from lockstep.results.business_hours import Calendar
from lockstep.results.models import Lead, LeadStatus, Opportunity, Outcome, RejectionReason
from lockstep.results.parsing import ValueProblem, looks_like_formula, parse_amount, parse_datetime
from lockstep.results.services import DEFAULT_SLA_HOURS, ensure_rejection_reasons, sla_fields

# Column labels by preset → Lockstep field. Matching ignores case and spaces.
LEAD_PRESETS: dict[str, dict[str, str]] = {
    "salesforce": {
        "Lead ID": "external_id", "Id": "external_id", "First Name": "first_name",
        "FirstName": "first_name", "Last Name": "last_name", "LastName": "last_name",
        "Company": "company", "Email": "email", "Phone": "phone", "Lead Status": "status",
        "Status": "status", "Lead Source": "source", "LeadSource": "source",
        "Lead Owner": "owner", "Owner Email": "owner", "Created Date": "created_at",
        "CreatedDate": "created_at", "Campaign Name": "campaign", "Campaign": "campaign",
        "First Touch": "first_touch_at", "Rejection Reason": "rejection_reason",
    },
    "hubspot": {
        "Record ID": "external_id", "First Name": "first_name", "Last Name": "last_name",
        "Email": "email", "Company Name": "company", "Lead Status": "status",
        "Contact owner": "owner", "Create Date": "created_at", "Original Source": "source",
        "Phone Number": "phone", "Campaign": "campaign", "Associated Campaign": "campaign",
    },
}  # fmt: skip
LEAD_FIELDS = (
    "external_id", "first_name", "last_name", "contact_name", "company", "email", "phone",
    "status", "source", "owner", "created_at", "campaign", "first_touch_at",
    "rejection_reason", "rejection_comment",
)  # fmt: skip
LEAD_PRESETS["generic"] = {f: f for f in LEAD_FIELDS}

OPPORTUNITY_PRESETS: dict[str, dict[str, str]] = {
    "salesforce": {
        "Opportunity ID": "external_id", "Id": "external_id", "Opportunity Name": "name",
        "Name": "name", "Stage": "stage", "StageName": "stage", "Amount": "amount",
        "Close Date": "close_date", "CloseDate": "close_date", "Won": "won", "IsWon": "won",
        "Closed": "closed", "IsClosed": "closed", "Opportunity Owner": "owner",
        "Owner Email": "owner", "Created Date": "created_at", "CreatedDate": "created_at",
        "Campaign Name": "campaign", "Campaign": "campaign", "Lead ID": "lead",
        "Quantity": "quantity", "TotalOpportunityQuantity": "quantity",
        "Currency": "currency", "CurrencyIsoCode": "currency",
    },
    "hubspot": {
        "Record ID": "external_id", "Deal Name": "name", "Deal Stage": "stage",
        "Amount": "amount", "Close Date": "close_date", "Deal owner": "owner",
        "Create Date": "created_at", "Campaign": "campaign", "Currency": "currency",
        "Quantity": "quantity",
    },
}  # fmt: skip
OPPORTUNITY_FIELDS = (
    "external_id", "name", "stage", "amount", "currency", "quantity", "close_date", "won",
    "closed", "outcome", "owner", "created_at", "campaign", "lead",
)  # fmt: skip
OPPORTUNITY_PRESETS["generic"] = {f: f for f in OPPORTUNITY_FIELDS}

STATUS_WORDS = [  # first match wins: "Open - Not Contacted" is new, not "contacted"
    ("not contacted", LeadStatus.NEW), ("not converted", LeadStatus.REJECTED),
    ("unqualified", LeadStatus.REJECTED),
    ("disqualified", LeadStatus.REJECTED), ("rejected", LeadStatus.REJECTED),
    ("bad timing", LeadStatus.REJECTED), ("bad_timing", LeadStatus.REJECTED),
    ("converted", LeadStatus.CONVERTED), ("accepted", LeadStatus.ACCEPTED),
    ("qualified", LeadStatus.ACCEPTED), ("working", LeadStatus.WORKING),
    ("contacted", LeadStatus.WORKING), ("in progress", LeadStatus.WORKING),
    ("in_progress", LeadStatus.WORKING), ("attempted", LeadStatus.WORKING),
    ("connected", LeadStatus.WORKING), ("new", LeadStatus.NEW), ("open", LeadStatus.NEW),
]  # fmt: skip


def _key(label: str) -> str:
    return "".join(label.lower().split())


def map_columns(
    header: list[str], preset: dict[str, str], overrides: dict[str, str], required: tuple[str, ...]
) -> tuple[dict[str, int], list[RowError]]:
    """Field → column index from a preset, with explicit "Column=field" overrides first."""
    by_label = {_key(label): field for label, field in preset.items()}
    by_label.update({_key(label): field for label, field in overrides.items()})
    columns: dict[str, int] = {}
    errors = []
    for index, label in enumerate(header):
        field = by_label.get(_key(label))
        if field is None:
            continue  # extra export columns are ignored
        if field in columns:
            errors.append(RowError(1, label, f"two columns map to “{field}”; map one explicitly"))
            continue
        columns[field] = index
    for field in required:
        if field not in columns:
            errors.append(
                RowError(
                    1, field, f'no column for “{field}”: use a preset or --map "Column={field}"'
                )
            )
    return columns, errors


class LookupCache:
    """The organization's reps, programs and reasons, loaded once per import."""

    def __init__(self, org: Organization) -> None:
        reps = Membership.objects.for_org(org).select_related("user")
        self.people = {m.user.email.lower(): m.user for m in reps}
        self.people_by_name = {str(m.user).lower(): m.user for m in reps if m.user.full_name}
        self.programs: dict[str, Program] = {}
        for program in Program.objects.for_org(org):
            for code in program.campaign_codes:
                self.programs[code.lower()] = program
            self.programs.setdefault(program.name.lower(), program)
        ensure_rejection_reasons(org)
        self.calendar = Calendar.for_org(org)
        self.reasons = {
            key: r
            for r in RejectionReason.objects.for_org(org)
            for key in (r.code, r.label.lower())
        }

    def person(self, value: str) -> User | None:
        key = value.strip().lower()
        return self.people.get(key) or self.people_by_name.get(key)


@dataclass(frozen=True)
class LeadRow:
    external_id: str
    values: dict[str, Any]


class LeadsSpec(OrgSpec[LeadRow]):
    kind = "leads"
    required_columns: tuple[str, ...] = ("external_id",)
    optional_columns: tuple[str, ...] = LEAD_FIELDS[1:]

    def __init__(
        self, org: Organization, preset: str = "generic", overrides: dict[str, str] | None = None
    ):
        super().__init__(org)
        self.preset, self.overrides = LEAD_PRESETS[preset], overrides or {}
        self.cache = LookupCache(org)
        self.seen = SeenIds()

    def map_header(self, header: list[str]) -> tuple[dict[str, int], list[RowError]]:
        return map_columns(header, self.preset, self.overrides, self.required_columns)

    def validate_row(
        self, row_number: int, row: dict[str, str]
    ) -> tuple[LeadRow | None, list[RowError]]:
        errors: list[RowError] = []

        def bad(column: str, message: str) -> None:
            errors.append(RowError(row_number, column, message))

        for column, value in row.items():
            if looks_like_formula(value):
                bad(column, "looks like a spreadsheet formula; remove the leading = + - or @")
        external_id = row.get("external_id", "")
        if not external_id:
            bad("external_id", "every lead needs its CRM id")
        elif len(external_id) > 100:
            bad("external_id", "longer than 100 characters")
        values = self._values(row, row_number, errors)
        if errors:
            return None, errors
        return LeadRow(external_id, values), []

    def _values(self, row: dict[str, str], n: int, errors: list[RowError]) -> dict[str, Any]:
        org = self.org
        values: dict[str, Any] = {}
        name = row.get("contact_name") or " ".join(
            p for p in (row.get("first_name", ""), row.get("last_name", "")) if p
        )
        values["contact_name"] = name[:200]
        for field, limit in (("company", 200), ("phone", 50), ("source", 100), ("campaign", 200)):
            values[field] = row.get(field, "")[:limit]
        email = row.get("email", "")
        if email:
            try:
                validate_email(email)
            except ValidationError:
                errors.append(RowError(n, "email", f"“{email[:60]}” is not an e-mail address"))
        values["email"] = email.lower()
        owner = row.get("owner", "")
        values["rep"] = self.cache.person(owner) if owner else None
        if owner and values["rep"] is None:
            errors.append(RowError(n, "owner", f"no member of {org.name} is “{owner[:60]}”"))
        for field in ("created_at", "first_touch_at"):
            if row.get(field):
                try:
                    values[field] = parse_datetime(
                        row[field], date_order=org.date_order, tz=org.tzinfo
                    )
                except ValueProblem as exc:
                    errors.append(RowError(n, field, str(exc)))
        values["status"] = self._status(row.get("status", ""), n, errors)
        values["program"] = self.cache.programs.get(values["campaign"].lower())
        if "created_at" in values or "first_touch_at" in values:
            hours = values["program"].sla_hours if values["program"] else DEFAULT_SLA_HOURS
            values["sla_due_at"], values["first_touch_seconds"] = sla_fields(
                self.cache.calendar,
                values.get("created_at") or timezone.now(),
                values.get("first_touch_at"),
                hours,
            )
        reason = row.get("rejection_reason", "")
        values["rejection_comment"] = row.get("rejection_comment", "")
        values["rejection_reason"] = None
        if values["status"] == LeadStatus.REJECTED:
            values["rejection_reason"] = self.cache.reasons.get(reason.lower() or "other")
            if values["rejection_reason"] is None:
                errors.append(
                    RowError(n, "rejection_reason", f"“{reason[:40]}” is not a rejection reason")
                )
            if not reason and not values["rejection_comment"]:
                values["rejection_comment"] = f"Imported as “{row.get('status', '')}”"
        return values

    def _status(self, value: str, n: int, errors: list[RowError]) -> str:
        if not value:
            return LeadStatus.NEW
        lowered = value.lower()
        for word, status in STATUS_WORDS:
            if word in lowered:
                return status
        errors.append(RowError(n, "status", f"“{value[:40]}” is not a lead status we know"))
        return LeadStatus.NEW

    def observe(self, row_number: int, item: LeadRow) -> list[RowError]:
        first = self.seen.first_row(item.external_id, row_number)
        if first is not None and first != row_number:
            return [
                RowError(
                    row_number, "external_id", f"“{item.external_id}” is already on row {first}"
                )
            ]
        return []

    def validate_all(self, items: list[tuple[int, LeadRow]]) -> list[RowError]:
        return []

    def apply(self, items: list[tuple[int, LeadRow]], acting_user: User | None) -> Iterator[str]:
        yield from upsert(Lead, self.org, [i for _, i in items])


@dataclass(frozen=True)
class OpportunityRow:
    external_id: str
    values: dict[str, Any]


class OpportunitiesSpec(LeadsSpec):
    kind = "opportunities"
    optional_columns: tuple[str, ...] = OPPORTUNITY_FIELDS[1:]

    def __init__(
        self, org: Organization, preset: str = "generic", overrides: dict[str, str] | None = None
    ):
        super().__init__(org, "generic", overrides)
        self.preset = OPPORTUNITY_PRESETS[preset]

    def _values(self, row: dict[str, str], n: int, errors: list[RowError]) -> dict[str, Any]:
        org = self.org
        values: dict[str, Any] = {
            "name": row.get("name", "")[:200],
            "stage": row.get("stage", "")[:100],
        }
        values["campaign"] = row.get("campaign", "")[:200]
        values["program"] = self.cache.programs.get(values["campaign"].lower())
        owner = row.get("owner", "")
        values["owner"] = self.cache.person(owner) if owner else None
        if owner and values["owner"] is None:
            errors.append(RowError(n, "owner", f"no member of {org.name} is “{owner[:60]}”"))
        for field in ("amount", "quantity"):
            if row.get(field):
                try:
                    values[field] = parse_amount(row[field])
                except ValueProblem as exc:
                    errors.append(RowError(n, field, str(exc)))
        currency = row.get("currency", "").upper()
        if currency and (len(currency) != 3 or not currency.isalpha()):
            errors.append(RowError(n, "currency", f"“{currency[:10]}” is not a currency code"))
        values["currency"] = currency
        for field in ("created_at", "close_date"):
            if row.get(field):
                try:
                    parsed = parse_datetime(row[field], date_order=org.date_order, tz=org.tzinfo)
                    values[field] = parsed.date() if field == "close_date" else parsed
                except ValueProblem as exc:
                    errors.append(RowError(n, field, str(exc)))
        values["outcome"] = self._outcome(row)
        values["lead_external_id"] = row.get("lead", "")
        return values

    def _outcome(self, row: dict[str, str]) -> str:
        truthy = {"true", "1", "yes", "y", "x"}
        explicit = row.get("outcome", "").lower()
        if explicit in Outcome.values:
            return explicit
        stage = row.get("stage", "").lower()
        if row.get("won", "").lower() in truthy or "won" in stage:
            return Outcome.WON
        if row.get("closed", "").lower() in truthy or "lost" in stage or "closed" in stage:
            return Outcome.LOST
        return Outcome.OPEN

    def apply(self, items: list[tuple[int, LeadRow]], acting_user: User | None) -> Iterator[str]:
        lead_ids = {i.values["lead_external_id"] for _, i in items if i.values["lead_external_id"]}
        leads = dict(
            Lead.objects.for_org(self.org)
            .filter(external_id__in=lead_ids)
            .values_list("external_id", "id")
        )
        rows = []
        for _, item in items:
            values = dict(item.values)
            values["lead_id"] = leads.get(values.pop("lead_external_id"))
            rows.append(replace(item, values=values))
        yield from upsert(Opportunity, self.org, rows)


def upsert(model: Any, org: Organization, rows: list[Any]) -> Iterator[str]:
    """Create or update by external id; rows whose values did not change stay untouched."""
    existing = {
        o.external_id: o
        for o in model.objects.for_org(org).filter(external_id__in=[r.external_id for r in rows])
    }
    create, update = [], []
    for row in rows:
        obj = existing.get(row.external_id)
        if obj is None:
            create.append(model(org=org, external_id=row.external_id, **row.values))
            yield "created"
            continue
        changed = [f for f, v in row.values.items() if _field_value(obj, f) != _comparable(v)]
        if not changed:
            yield "unchanged"
            continue
        for f in changed:
            setattr(obj, f, row.values[f])
        obj.imported_at = timezone.now()
        update.append(obj)
        yield "updated"
    model.objects.bulk_create(create, batch_size=1000)
    fields = [f for f in rows[0].values] + ["imported_at"] if rows else []
    if update:
        model.objects.bulk_update(update, fields, batch_size=1000)


def _field_value(obj: Any, name: str) -> Any:
    value = getattr(obj, f"{name}_id") if hasattr(obj, f"{name}_id") else getattr(obj, name)
    return _comparable(value)


def _comparable(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    if isinstance(value, Decimal):
        return value.normalize()
    return value
