"""The rep kit (assets: metadata, upload by multipart, download) and the rep brief."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from ninja import Router, Schema, Status, UploadedFile
from pydantic import Field

from lockstep.api.auth import caller
from lockstep.api.common import Id, bound, endpoint, file_field, form_field
from lockstep.api.org import AssetKindName
from lockstep.api.programs import WiifmOut, editable, wiifm_out
from lockstep.api.schemas import Done, IsoDate, PersonOut, person
from lockstep.api.training import TrainingOut, training_out
from lockstep.briefs import services as briefs
from lockstep.briefs.selectors import rep_programs
from lockstep.core.events import Verb
from lockstep.core.permissions import Perm
from lockstep.enablement.models import TrainingCompletion
from lockstep.programs import forms as f
from lockstep.programs import services
from lockstep.programs.access import access_asset, access_program
from lockstep.programs.models import Asset, Program, ProgramStatus
from lockstep.programs.selectors import kit_assets, rep_target_share

router = Router(tags=["kit and brief"])


class AssetOut(Schema):
    id: int
    kind: AssetKindName
    title: str
    is_file: bool = Field(description="An upload (else a link).")
    original_name: str
    content_type: str
    size: int = Field(description="Bytes, for uploads.")
    url: str = Field(description="The link, for link assets.")
    owner: PersonOut | None
    expires_on: dt.date | None
    partner_visible: bool
    download: str = Field(description="Where to download or follow it (recorded as kit use).")


class AssetList(Schema):
    items: list[AssetOut]


def asset_out(a: Asset) -> dict[str, Any]:
    return {
        "id": a.pk,
        "kind": a.kind,
        "title": a.title,
        "is_file": bool(a.file),
        "original_name": a.original_name,
        "content_type": a.content_type,
        "size": a.size,
        "url": a.url,
        "owner": person(a.owner),
        "expires_on": a.expires_on,
        "partner_visible": a.partner_visible,
        "download": f"/api/v1/programs/{a.program_id}/assets/{a.pk}/download",
    }


def kit_program(request: HttpRequest, program_id: int) -> Program:
    """The kit opens to reps at launch (the same 404 before)."""
    m = caller(request)
    program = access_program(m, program_id)
    if m.is_rep and program.status == ProgramStatus.PREVIEW:
        raise Http404("The kit opens at launch")
    return program


@endpoint(
    router.get,
    "/programs/{program_id}/assets",
    Perm.VIEW_KIT,
    AssetList,
    summary="The kit (partner reps: partner-visible assets only)",
)
def list_assets(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    program = kit_program(request, program_id)
    assets = kit_assets(m, program)
    return {"items": [asset_out(a) for a in assets]}


@endpoint(
    router.get,
    "/programs/{program_id}/assets/{item_id}",
    Perm.VIEW_KIT,
    AssetOut,
    summary="One asset's metadata",
)
def get_asset(request: HttpRequest, program_id: int = Id(), item_id: int = Id()) -> Any:
    program = kit_program(request, program_id)
    return asset_out(access_asset(caller(request), program, item_id))


@endpoint(
    router.get,
    "/programs/{program_id}/assets/{item_id}/download",
    Perm.VIEW_KIT,
    None,
    summary="Download an upload (as an attachment) or be redirected to a link",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment.",
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            },
            302: {
                "description": "A link asset: its address is in Location.",
                "headers": {"Location": {"schema": {"type": "string"}}},
            },
        }
    },
)
def download_asset(request: HttpRequest, program_id: int = Id(), item_id: int = Id()) -> Any:
    m = caller(request)
    program = kit_program(request, program_id)
    asset = access_asset(m, program, item_id)
    if asset.url:
        services.record_asset_use(asset=asset, user=m.user, verb=Verb.ASSET_VIEWED)
        return HttpResponseRedirect(asset.url)
    try:
        handle = asset.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("The file is missing from storage") from exc
    services.record_asset_use(asset=asset, user=m.user, verb=Verb.ASSET_DOWNLOADED)
    return FileResponse(
        handle,
        as_attachment=True,
        filename=asset.original_name or "download",
        content_type=asset.content_type or "application/octet-stream",
    )


@endpoint(
    router.post,
    "/programs/{program_id}/assets",
    Perm.MANAGE_PROGRAMS,
    AssetOut,
    status=201,
    summary="Add an asset: upload a file, or give a link (one of the two)",
    description="multipart/form-data. Files are checked for size and type "
    "(LOCKSTEP_ASSET_MAX_MB, LOCKSTEP_ASSET_EXTENSIONS).",
)
def add_asset(
    request: HttpRequest,
    program_id: int = Id(),
    kind: AssetKindName = form_field(...),
    title: str = form_field(..., min_length=1, max_length=160),
    url: str = form_field("", max_length=500, description="A link instead of a file."),
    owner_member_id: int | None = form_field(None, ge=1, le=2**63 - 1),
    expires_on: IsoDate | None = form_field(None),
    partner_visible: bool = form_field(False),
    file: UploadedFile | None = file_field(None),  # noqa: B008 — ninja's way to declare a part
) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    data = {
        "kind": kind,
        "title": title,
        "url": url,
        "owner": owner_member_id,
        "expires_on": expires_on,
        "partner_visible": partner_visible,
    }
    form = bound(
        f.AssetForm,
        data,
        files={"file": file} if file else {},
        rename={"owner": "owner_member_id"},
        org=m.org,
    )
    asset = services.add_asset(program=program, acting_user=m.user, data=form.to_input())
    return Status(201, asset_out(asset))


@endpoint(
    router.delete,
    "/programs/{program_id}/assets/{item_id}",
    Perm.MANAGE_PROGRAMS,
    None,
    status=204,
    summary="Remove an asset from the kit",
)
def remove_asset(request: HttpRequest, program_id: int = Id(), item_id: int = Id()) -> Any:
    m = caller(request)
    program = editable(request, program_id)
    asset = access_asset(m, program, item_id)
    services.remove_plan_row(program=program, acting_user=m.user, obj=asset)
    return Status(204, None)


# --- the brief --------------------------------------------------------------------------


class ShareOut(Schema):
    target_id: int
    team_id: int
    metric: str
    value: str
    period: str
    reps: int
    my_share: str


class BriefOut(Schema):
    program_id: int
    name: str
    status: str
    summary: str
    launch_date: dt.date | None
    end_date: dt.date | None
    wiifm: WiifmOut
    my_targets: list[ShareOut]
    training: list[TrainingOut]
    assets: list[AssetOut]
    faq: list[dict[str, str]]
    opened: bool
    acknowledged: bool


@endpoint(
    router.get,
    "/programs/{program_id}/brief",
    Perm.READ_BRIEFS,
    BriefOut,
    summary="The rep brief (opening it as a rep of a live program is recorded)",
)
def get_brief(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    if program.status == ProgramStatus.DRAFT:
        raise Http404("No brief yet")
    if m.is_rep and program.status == ProgramStatus.LIVE:
        briefs.open_brief(program=program, user=m.user)
    assets = kit_assets(m, program)
    if m.is_rep and program.status == ProgramStatus.PREVIEW:
        assets = assets.none()
    done = set(
        TrainingCompletion.objects.filter(item__program=program, user=m.user).values_list(
            "item_id", flat=True
        )
    )
    state = briefs.brief_state(program, m.user)
    return {
        "program_id": program.pk,
        "name": program.name,
        "status": program.status,
        "summary": program.summary,
        "launch_date": program.launch_date,
        "end_date": program.end_date,
        "wiifm": wiifm_out(program),
        "my_targets": [
            {
                "target_id": s["target"].pk,
                "team_id": s["target"].team_id,
                "metric": s["target"].metric,
                "value": str(s["target"].value),
                "period": s["target"].period,
                "reps": s["reps"],
                "my_share": str(s["share"]),
            }
            for s in rep_target_share(program, m)
        ],
        "training": [training_out(t, done if m.is_rep else None) for t in program.training.all()],
        "assets": [asset_out(a) for a in assets],
        "faq": [
            {"question": q.faq_question, "answer": q.faq_answer}
            for q in program.questions.filter(in_faq=True).order_by("-answered_at")[:30]
        ],
        "opened": state.opened,
        "acknowledged": state.acknowledged,
    }


@endpoint(
    router.post,
    "/programs/{program_id}/brief/acknowledge",
    Perm.SELL,
    Done,
    summary="Confirm you read the brief (reps, live programs)",
)
def acknowledge_brief(request: HttpRequest, program_id: int = Id()) -> Any:
    m = caller(request)
    program = access_program(m, program_id)
    first = briefs.acknowledge_brief(program=program, user=m.user)
    return {"ok": True, "detail": "Recorded." if first else "Already recorded."}


class MyProgramOut(Schema):
    program_id: int
    name: str
    launch_date: dt.date | None
    opened: bool
    acknowledged: bool
    todo: list[str]


class MyPrograms(Schema):
    items: list[MyProgramOut]


@endpoint(
    router.get,
    "/my/programs",
    Perm.SELL,
    MyPrograms,
    summary="Your live programs and what is left to do (reps)",
)
def my_programs(request: HttpRequest) -> Any:
    rows = rep_programs(caller(request))
    return {
        "items": [
            {
                "program_id": r["program"].pk,
                "name": r["program"].name,
                "launch_date": r["program"].launch_date,
                "opened": r["state"].opened,
                "acknowledged": r["state"].acknowledged,
                "todo": r["todo"],
            }
            for r in rows
        ]
    }
