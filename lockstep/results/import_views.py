"""Importing leads and opportunities in the browser: upload, map columns, watch progress,
download the error report."""

from __future__ import annotations

import csv
import io
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from lockstep.core.errors import DomainError
from lockstep.core.imports import FileError
from lockstep.core.models import ImportJob
from lockstep.core.permissions import Perm
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.results import jobs
from lockstep.results.access import access_import_job
from lockstep.results.imports import (
    LEAD_FIELDS,
    LEAD_PRESETS,
    OPPORTUNITY_FIELDS,
    OPPORTUNITY_PRESETS,
)

FIELDS = {"leads": LEAD_FIELDS, "opportunities": OPPORTUNITY_FIELDS}
PRESETS = {"leads": LEAD_PRESETS, "opportunities": OPPORTUNITY_PRESETS}


@org_view(Perm.IMPORT_DATA)
def new_import(request: OrgRequest) -> HttpResponse:
    errors = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        kind = request.POST.get("kind", "")
        preset = request.POST.get("preset", "generic")
        if kind not in FIELDS:
            errors.append("Choose what the file holds: leads or opportunities.")
        if preset not in LEAD_PRESETS:
            errors.append("Choose the export the file comes from.")
        if upload is None:
            errors.append("Choose a CSV or XLSX file.")
        elif (upload.size or 0) > settings.IMPORT_MAX_MB * 1024 * 1024:
            errors.append(f"The file is larger than {settings.IMPORT_MAX_MB} MB.")
        elif PurePath(str(upload.name)).suffix.lower() not in (".csv", ".txt", ".tsv", ".xlsx"):
            errors.append("Import a .csv, .tsv, .txt or .xlsx file.")
        if not errors and upload is not None:
            job = jobs.create_job(
                org=request.org, acting_user=request.user, kind=kind, preset=preset,
                upload=upload, partial=request.POST.get("partial") == "on",
                dry_run=request.POST.get("dry_run") == "on",
            )  # fmt: skip
            return redirect("results:import_map", org_slug=request.org.slug, job_id=job.pk)
    recent = ImportJob.objects.for_org(request.org)[:10]
    context = {"errors": errors, "recent": recent, "presets": sorted(LEAD_PRESETS)}
    return render(request, "results/import_new.html", context, status=400 if errors else 200)


@org_view(Perm.IMPORT_DATA)
def map_columns(request: OrgRequest, job_id: int) -> HttpResponse:
    job = access_import_job(request.membership, job_id)
    if job.status != ImportJob.Status.MAPPING:
        return redirect("results:import_job", org_slug=request.org.slug, job_id=job.pk)
    try:
        header = jobs.header_of(job)
    except FileError as exc:
        messages.error(request, str(exc))
        jobs.discard(job)
        return redirect("results:import_new", org_slug=request.org.slug)
    fields = FIELDS[job.kind]
    preset = {"".join(k.lower().split()): v for k, v in PRESETS[job.kind][job.preset].items()}
    guesses = {label: preset.get("".join(label.lower().split()), "") for label in header}
    if request.method == "POST":
        mapping = {}
        for index, label in enumerate(header):
            field = request.POST.get(f"col{index}", "")
            if field and field not in fields:
                raise DomainError(f"“{field[:40]}” is not a field of a {job.kind} import.")
            mapping[label] = field or "__ignore__"
        chosen = [f for f in mapping.values() if f != "__ignore__"]
        if "external_id" not in chosen:
            messages.error(request, "Map one column to external_id: the CRM id of each record.")
        elif len(chosen) != len(set(chosen)):
            messages.error(request, "Two columns are mapped to the same field.")
        else:
            jobs.queue(job, mapping=mapping, acting_user=request.user)
            return redirect("results:import_job", org_slug=request.org.slug, job_id=job.pk)
    context = {
        "job": job,
        "columns": [(i, label, guesses[label]) for i, label in enumerate(header)],
        "fields": fields,
    }
    return render(request, "results/import_map.html", context)


@org_view(Perm.IMPORT_DATA)
@require_GET
def job_status(request: OrgRequest, job_id: int) -> HttpResponse:
    job = access_import_job(request.membership, job_id)
    context = {"job": job, "errors": job.report.get("errors", [])[:200]}
    if request.headers.get("HX-Request") == "true":
        return render(request, "results/import_job.html#job-status", context)
    return render(request, "results/import_job.html", context)


@org_view(Perm.IMPORT_DATA)
@require_GET
def error_report(request: OrgRequest, job_id: int) -> HttpResponse:
    job = access_import_job(request.membership, job_id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "column", "message"])
    for row, column, message in job.report.get("errors", []):
        writer.writerow([row, column, message])
    response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
    return response
