"""Inbound leads: `POST /api/v1/leads`, one lead or a batch, idempotent by external id.
The same spec as the CSV import validates and writes; a batch is all or nothing."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from lockstep.api.auth import caller
from lockstep.core.imports import ImportReport, RowError, record_import
from lockstep.core.permissions import Perm, can
from lockstep.results.imports import LeadRow, LeadsSpec

router = Router(tags=["leads"])
MAX_BATCH = 1000


class LeadIn(Schema):
    external_id: str
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


class ItemError(Schema):
    index: int
    field: str
    message: str


class ImportResult(Schema):
    created: int
    updated: int
    unchanged: int


class ErrorResult(Schema):
    detail: str
    errors: list[ItemError]


@router.post("/leads", response={200: ImportResult, 400: ErrorResult, 403: ErrorResult})
def post_leads(request: HttpRequest, payload: LeadIn | list[LeadIn]) -> Any:
    membership = caller(request)
    if not can(membership, Perm.MANAGE_PROGRAMS):
        return Status(403, {"detail": "Only owners and marketers may send leads.", "errors": []})
    items = payload if isinstance(payload, list) else [payload]
    if not items or len(items) > MAX_BATCH:
        raise HttpError(400, f"Send between 1 and {MAX_BATCH} leads per request.")
    spec = LeadsSpec(membership.org)
    valid: list[tuple[int, LeadRow]] = []
    errors: list[RowError] = []
    for index, item in enumerate(items):
        row = {k: str(v).strip() for k, v in item.dict().items()}
        lead, row_errors = spec.validate_row(index, row)
        if lead is not None and not row_errors:
            row_errors = spec.observe(index, lead)
        errors.extend(row_errors)
        if lead is not None and not row_errors:
            valid.append((index, lead))
    if errors:
        return Status(
            400,
            {
                "detail": "Nothing was written: fix these leads and send the batch again.",
                "errors": [
                    {"index": e.row, "field": e.column, "message": e.message} for e in errors
                ],
            },
        )
    report = ImportReport(kind=spec.kind, rows=len(items))
    with transaction.atomic():
        report.counts.update(spec.apply(valid, acting_user=membership.user))
        report.written = True
        record_import(membership.org, membership.user, report, source="api")
    return {k: report.counts[k] for k in ("created", "updated", "unchanged")}
