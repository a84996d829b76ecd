"""Inbound leads: `POST /api/v1/leads`, one lead or a batch, idempotent by external id.

The batch goes through the same import as a CSV file (`core.imports.run_import` with the
leads spec): the same checks, the same staged, all-or-nothing write, the same SLA
deadlines, one audit row. `?dry_run=true` checks and counts without writing and says how
the fields were read (the mapping and the order of dates)."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from lockstep.api.auth import caller
from lockstep.api.common import answers
from lockstep.api.problems import ApiProblem, field_error, invalid
from lockstep.core.imports import RowError, Table, run_import
from lockstep.core.permissions import Perm, can
from lockstep.results.imports import LEAD_FIELDS, LEADS

router = Router(tags=["leads"])
MAX_BATCH = 1000
API_WAIT_SECONDS = 30  # for another import of the organization to finish writing


class LeadIn(Schema):
    # The limits the spec enforces, documented (the spec validates, as for CSV imports).
    external_id: str = Field(json_schema_extra={"minLength": 1, "maxLength": 100})
    first_name: str = ""
    last_name: str = ""
    contact_name: str = ""
    company: str = ""
    email: str = ""
    phone: str = ""
    status: str = ""
    source: str = ""
    owner: str = ""
    created_at: str = ""
    campaign: str = ""
    first_touch_at: str = ""
    rejection_reason: str = ""
    rejection_comment: str = ""


class Warning(Schema):
    pointer: str = Field(description="RFC 6901 pointer to the value, e.g. /0/email")
    field: str
    message: str


class Mapping(Schema):
    column: str
    field: str
    note: str


class ImportResult(Schema):
    created: int
    updated: int
    unchanged: int
    warnings: list[Warning] = Field(
        default_factory=list,
        description="Contact data stored as sent but looking odd (kept, never refused).",
    )
    summary: str = ""
    columns: list[Mapping] = Field(
        default_factory=list, description="Dry run: which field feeds what."
    )
    notes: list[str] = Field(default_factory=list, description="Dry run: e.g. the date order.")


LeadBatch = Annotated[list[LeadIn], Field(json_schema_extra={"minItems": 1, "maxItems": MAX_BATCH})]


def _pointer(error: RowError, batch: bool) -> dict[str, str]:
    field = error.column
    if batch:
        return {"location": "body", "field": f"{error.row}.{field}" if field else str(error.row),
                "pointer": f"/{error.row}" + (f"/{field}" if field else ""),
                "message": error.message}  # fmt: skip
    return {"location": "body", "field": field, "pointer": f"/{field}" if field else "",
            "message": error.message}  # fmt: skip


@router.post(
    "/leads",
    response=answers({200: ImportResult}, write=True),
    openapi_extra={"x-lockstep-permission": Perm.MANAGE_PROGRAMS.value},
    summary="Push leads from a CRM: one or a batch of up to 1,000, upserted by external id",
    description="All or nothing: if any lead is invalid nothing is written and the problem "
    "lists each bad value (`pointer` /<index>/<field> for a batch). Re-sending the same "
    "leads changes nothing. Values are checked as in a CSV import (docs/importing.md): "
    "contact data that looks odd is stored and listed under `warnings`. Fields left out "
    "of every lead of a batch keep their stored values. `?dry_run=true` checks and counts "
    "without writing.",
)
def post_leads(request: HttpRequest, payload: LeadIn | LeadBatch, dry_run: bool = False) -> Any:
    membership = caller(request)
    if not can(membership, Perm.MANAGE_PROGRAMS):
        raise ApiProblem(403, "Only owners and marketers may send leads.")
    batch = isinstance(payload, list)
    items = payload if isinstance(payload, list) else [payload]
    if not items or len(items) > MAX_BATCH:
        message = f"Send between 1 and {MAX_BATCH} leads per request."
        raise invalid([field_error("", message)], message)
    records = [item.model_dump(exclude_unset=True) for item in items]
    sent = {name for record in records for name in record}
    fields = [name for name in LEAD_FIELDS if name in sent]  # what no lead sent stays as is
    spec = LEADS.make_spec(membership.org, preset="generic", mapping={})
    report = run_import(
        spec, Table.from_records(fields, records), acting_user=membership.user,
        dry_run=dry_run, source="api", wait=API_WAIT_SECONDS,
    )  # fmt: skip
    if not report.ok:
        raise invalid(
            [_pointer(e, batch) for e in report.errors],
            "Nothing was written: fix these leads and send the batch again.",
        )
    return {
        **{k: report.counts[k] for k in ("created", "updated", "unchanged")},
        "warnings": [_pointer(w, batch) for w in report.warnings],
        "summary": report.summary(),
        "columns": [{"column": c.label, "field": c.field, "note": c.note} for c in report.columns]
        if dry_run
        else [],
        "notes": report.notes if dry_run else [],
    }
