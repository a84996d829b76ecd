"""Owners' privacy pages: download everything stored about a member (JSON), or erase them
(`ops.privacy`: their figures stay, who they were goes; audited)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from lockstep.core.permissions import Perm
from lockstep.core.tenancy import OrgRequest, org_view
from lockstep.ops import privacy
from lockstep.orgs.access import access_membership


@org_view(Perm.MANAGE_ORG)
@require_GET
def export(request: OrgRequest, membership_id: int) -> HttpResponse:
    membership = access_membership(request.membership, membership_id)
    data = privacy.export_person(membership.user, request.org)
    privacy.record_export(org=request.org, user=membership.user, acting_user=request.user)
    body = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    filename = f"lockstep-{request.org.slug}-person-{membership.user.pk}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@org_view(Perm.MANAGE_ORG)
@require_http_methods(["GET", "POST"])
def erase(request: OrgRequest, membership_id: int) -> HttpResponse:
    membership = access_membership(request.membership, membership_id)
    if request.method == "POST":
        if request.POST.get("confirm") != membership.user.email:
            messages.error(request, "Type the person's e-mail to confirm.")
            return render(request, "ops/erase_person.html", {"member": membership}, status=400)
        done = privacy.erase_person(org=request.org, user=membership.user, acting_user=request.user)
        messages.success(
            request, f"Erased: {done.rows} rows now belong to “{done.tombstone}”; figures kept."
        )
        return redirect("orgs:members", org_slug=request.org.slug)
    return render(request, "ops/erase_person.html", {"member": membership})
