"""`lockstep export --org SLUG DIR`: every table of one organization, as CSV (or JSON
lines), with its uploaded files — for leaving Lockstep or loading into a BI tool.

A table belongs to the organization through its `org` column, or through a chain of
foreign keys that ends at one (a check choice → its question → the organization; a team
membership row → the membership → the organization). People are those with a membership.
Secrets are left out: password hashes, API token hashes, webhook signing keys.
`manifest.json` lists each file with its columns and row count."""

from __future__ import annotations

import csv
import json
import re
import shutil
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models import Q
from django.utils import timezone

from lockstep.ops.backup import encode, read_snapshot
from lockstep.ops.progress import Progress
from lockstep.orgs.models import Membership, Organization

SECRET = re.compile(r"(password|secret|token_hash|_hash$|^hash$)")
MAX_HOPS = 4


def org_path(model: type[models.Model]) -> str | None:
    """The lookup from `model` to its organization (`org`, `question__org`…), or None."""
    start: tuple[type[models.Model], str] = (model, "")
    queue = deque([start])
    seen = {model}
    while queue:
        current, path = queue.popleft()
        for field in current._meta.concrete_fields:
            if not isinstance(field, models.ForeignKey) or field.related_model is None:
                continue
            target = field.related_model
            if not isinstance(target, type):
                continue
            lookup = f"{path}__{field.name}" if path else field.name
            if target is Organization:
                return lookup
            if target not in seen and lookup.count("__") < MAX_HOPS - 1:
                seen.add(target)
                queue.append((target, lookup))
    return None


def org_rows(model: type[models.Model], org: Organization) -> models.QuerySet[Any] | None:
    manager = model._base_manager
    if model is Organization:
        return manager.filter(pk=org.pk)
    if model is get_user_model():
        return manager.filter(pk__in=Membership.objects.for_org(org).values("user_id"))
    path = org_path(model)
    if path is None:
        return None
    return manager.filter(Q(**{path: org})).distinct()


def exported_columns(model: type[models.Model]) -> list[models.Field[Any, Any]]:
    return [f for f in model._meta.concrete_fields if not SECRET.search(f.name)]


@dataclass(frozen=True)
class ExportReport:
    directory: Path
    tables: int
    rows: int
    files: int


def cell(value: Any) -> Any:
    value = encode(value)
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if value is None:
        return ""
    return value


def export_org(org: Organization, directory: Path, *, fmt: str, stream: TextIO) -> ExportReport:
    """Write every table of `org` into `directory` (created; must be empty), all read in one
    consistent snapshot."""
    directory.mkdir(parents=True, exist_ok=True)
    if any(directory.iterdir()):
        raise FileExistsError(f"{directory} is not empty.")
    plan = []
    for model in sorted(
        apps.get_models(include_auto_created=True), key=lambda m: m._meta.label_lower
    ):
        rows = org_rows(model, org)
        if rows is not None:
            plan.append((model, rows))
    manifest: dict[str, Any] = {
        "organization": org.slug,
        "exported_at": timezone.now().isoformat(),
        "format": fmt,
        "tables": {},
    }
    files: list[str] = []
    with read_snapshot("default"):
        total = sum(rows.count() for _, rows in plan)
        with Progress(stream, "exporting", total, "rows") as bar:
            for model, rows in plan:
                label = model._meta.label_lower
                fields = exported_columns(model)
                name = f"{label}.{'csv' if fmt == 'csv' else 'jsonl'}"
                count = write_table(directory / name, rows, fields, fmt, bar)
                manifest["tables"][label] = {
                    "file": name,
                    "columns": [f.attname for f in fields],
                    "rows": count,
                }
                files += uploaded_files(rows, model)
    copied = copy_files(files, directory / "files")
    manifest["files"] = copied
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return ExportReport(
        directory=directory,
        tables=len(plan),
        rows=sum(t["rows"] for t in manifest["tables"].values()),
        files=len(copied),
    )


def write_table(
    path: Path,
    rows: models.QuerySet[Any],
    fields: list[models.Field[Any, Any]],
    fmt: str,
    bar: Progress,
) -> int:
    names = [f.attname for f in fields]
    count = 0
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle) if fmt == "csv" else None
        if writer is not None:
            writer.writerow(names)
        for values in rows.order_by("pk").values_list(*names).iterator(chunk_size=2000):
            if writer is not None:
                writer.writerow([cell(v) for v in values])
            else:
                line = json.dumps(dict(zip(names, map(encode, values), strict=True)))
                handle.write(line + "\n")
            count += 1
            bar.advance()
    return count


def uploaded_files(rows: models.QuerySet[Any], model: type[models.Model]) -> list[str]:
    names = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
    found: list[str] = []
    for name in names:
        found += [v for v in rows.values_list(name, flat=True) if v]
    return found


def copy_files(names: list[str], target: Path) -> list[str]:
    root = Path(settings.MEDIA_ROOT).resolve()
    copied = []
    for name in sorted(set(names)):
        source = (root / name).resolve()
        if not source.is_relative_to(root) or not source.is_file():
            continue
        destination = target / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        copied.append(name)
    return copied
