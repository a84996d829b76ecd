"""A person's data: export everything stored about them, or erase them.

Every app stores people through foreign keys to the user model, so both operations find
the rows by introspection (a new model that points at a person is covered without a
change here):

- `export_person` gathers, as JSON, the person's account, memberships and every row that
  points at them (in one organization, or in all of them for the command line), with
  secrets (password and token hashes, webhook secrets) left out.
- `erase_person` keeps every measurement as it was and removes who it was: the person's
  rows in the organization are re-attributed to a new, inactive "Erased person" account
  (so pulse averages, answer counts, lead and training figures are unchanged), the text
  they wrote is replaced, the membership goes, and when they belong to no organization any
  more their account itself is anonymised (it keeps only its id). The audit log keeps that
  it happened, by whom and how many rows — not who it was.

Activity events and the audit log are append-only through the model; erasure is the one
writer allowed to re-attribute their rows (a legal duty outranks the rule)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.utils import timezone

from lockstep.accounts import two_factor
from lockstep.accounts.models import ApiToken, LoginAttempt, RateEvent, User
from lockstep.accounts.services import end_sessions
from lockstep.core.errors import Conflict
from lockstep.core.events import Action
from lockstep.core.models import ActivityEvent, AuditLog, Notification
from lockstep.core.permissions import Role
from lockstep.core.services import record_audit
from lockstep.orgs.models import Membership, Organization

ERASED = "[erased]"
SECRET_PARTS = ("password", "hash", "secret", "token")
# Text the person wrote, by (app label, model, the field naming the author): replaced.
AUTHORED_TEXT: list[tuple[str, str, str, tuple[str, ...]]] = [
    ("feedback", "PulseResponse", "user", ("comment",)),
    ("feedback", "RepQuestion", "asked_by", ("body",)),
    ("programs", "PreviewFeedback", "author", ("body",)),
    ("programs", "Endorsement", "leader", ("comment",)),
    ("programs", "Target", "responded_by", ("leader_comment",)),
    ("results", "LeadTouch", "rep", ("note",)),
    ("results", "Lead", "rep", ("rejection_comment",)),
]


def person_fields() -> list[tuple[type[models.Model], str]]:
    """(model, field) for every foreign key of a Lockstep model to a person."""
    found = []
    for model in apps.get_models():
        if not model.__module__.startswith("lockstep.") or model is Membership:
            continue
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model is User:
                found.append((model, field.name))
    return found


def _has_org(model: type[models.Model]) -> bool:
    return any(f.name == "org" for f in model._meta.concrete_fields)


def _public(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if not any(part in k for part in SECRET_PARTS)}


# --- export ---------------------------------------------------------------------------------


def export_person(user: User, org: Organization | None = None) -> dict[str, Any]:
    """Everything stored about the person: in `org`, or everywhere when it is None."""
    memberships = Membership.objects.filter(user=user).select_related("org", "team")
    if org is not None:
        memberships = memberships.filter(org=org)
    rows: dict[str, list[dict[str, Any]]] = {}
    for model, field in person_fields():
        qs = model._default_manager.filter(**{field: user})
        if org is not None:
            if not _has_org(model):
                continue
            qs = qs.filter(org=org)
        values = [_public(r) for r in qs.order_by("pk").values()]
        if values:
            rows.setdefault(model._meta.label, []).extend(values)
    about = AuditLog.objects.filter(object_type="user", object_id=user.pk)
    if org is not None:
        about = about.filter(org=org)
    tokens = list(  # what they are called and when used; never their hashes
        ApiToken.objects.filter(membership__in=memberships).values(
            "name", "created_at", "last_used_at", "expires_at", "revoked_at"
        )
    )
    return {
        "exported_at": timezone.now(),
        "scope": org.slug if org is not None else "all organizations",
        "person": {
            "id": user.pk,
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "date_joined": user.date_joined,
            "last_login": user.last_login,
            "is_active": user.is_active,
            "two_factor": two_factor.has_two_factor(user),
        },
        "memberships": [
            {
                "organization": m.org.slug,
                "role": m.role,
                "team": m.team.name if m.team else None,
                "led_teams": [t.name for t in m.led_teams.all()],
                "email_notifications": m.email_notifications,
                "email_off": m.email_off,
                "last_seen_at": m.last_seen_at,
            }
            for m in memberships
        ],
        "api_tokens": tokens,
        "audit_log_about_them": [_public(r) for r in about.order_by("pk").values()],
        "failed_logins": list(
            LoginAttempt.objects.filter(email=user.email.lower()).values("ip_address", "created_at")
        )
        if org is None
        else [],
        "rows": rows,
    }


def record_export(*, org: Organization, user: User, acting_user: User | None) -> None:
    record_audit(org=org, acting_user=acting_user, action=Action.PERSON_EXPORTED, obj=user)


# --- erasure --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erased:
    tombstone: User
    rows: int
    account_anonymised: bool


@transaction.atomic
def erase_person(*, org: Organization, user: User, acting_user: User | None) -> Erased:
    """Erase the person from the organization (see the module's docstring)."""
    membership = Membership.objects.select_for_update().filter(org=org, user=user).first()
    if membership is None:
        raise Conflict(f"{user} is not a member of {org.name}.")
    if acting_user is not None and acting_user.pk == user.pk:
        raise Conflict("You cannot erase yourself: ask another owner.")
    if membership.role == Role.OWNER:
        Organization.objects.select_for_update().filter(pk=org.pk).first()
        if not Membership.objects.filter(org=org, role=Role.OWNER).exclude(pk=membership.pk):
            raise Conflict("This is the only owner: make someone else owner first.")
    tombstone = User.objects.create_user(
        f"erased-{uuid.uuid4().hex[:16]}@erased.invalid",
        first_name="Erased",
        last_name="person",
        is_active=False,
    )
    names = [v for v in (user.email, user.full_name) if v]
    Notification.objects.filter(org=org, user=user).delete()  # addressed to them alone
    rows = _scrub_text(org, user) + _scrub_payloads(org, user, names)
    rows += _scrub_audit(org, user, tombstone)
    for model, field in person_fields():
        if _has_org(model):
            rows += model._default_manager.filter(org=org, **{field: user}).update(
                **{field: tombstone}
            )
    membership.delete()  # its API tokens go with it
    record_audit(
        org=org,
        acting_user=acting_user,
        action=Action.PERSON_ERASED,
        obj=tombstone,
        changes={"rows": [None, rows]},
        note="Erased on request: their rows now belong to this placeholder; figures are unchanged.",
    )
    alone = not Membership.objects.filter(user=user).exists()
    if alone:
        _anonymise_account(user)
    else:
        end_sessions(user)
    return Erased(tombstone=tombstone, rows=rows, account_anonymised=alone)


def _scrub_text(org: Organization, user: User) -> int:
    count = 0
    for app_label, name, author, fields in AUTHORED_TEXT:
        model = apps.get_model(app_label, name)
        qs = model._default_manager.filter(org=org, **{author: user})
        for field in fields:
            count += qs.exclude(**{field: ""}).update(**{field: ERASED})
    return count


def _replace(value: Any, names: list[str]) -> Any:
    if isinstance(value, str):
        for name in names:
            value = value.replace(name, "Erased person")
        return value
    if isinstance(value, dict):
        return {k: _replace(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, names) for v in value]
    return value


def _scrub_payloads(org: Organization, user: User, names: list[str]) -> int:
    """Names and e-mails inside the person's own events' payloads."""
    count = 0
    for pk, payload in ActivityEvent.objects.filter(org=org, actor=user).values_list(
        "pk", "payload"
    ):
        cleaned = _replace(payload, names)
        if cleaned != payload:
            count += ActivityEvent.objects.filter(pk=pk).update(payload=cleaned)
    return count


def _scrub_audit(org: Organization, user: User, tombstone: User) -> int:
    """Audit rows about the person keep what happened, not who it was."""
    about = AuditLog.objects.filter(org=org, object_type="user", object_id=user.pk)
    return about.update(object_id=tombstone.pk, object_repr=str(tombstone), changes={})


def _anonymise_account(user: User) -> None:
    """A person in no organization any more: the account keeps its id (rows of
    organizations they left earlier still count them) and loses everything else."""
    two_factor.disable(user)
    LoginAttempt.objects.filter(email=user.email.lower()).delete()
    RateEvent.objects.filter(key=user.email.lower()).delete()
    user.email = f"erased-{uuid.uuid4().hex[:16]}@erased.invalid"
    user.first_name, user.last_name = "Erased", "person"
    user.set_unusable_password()
    user.is_active = False
    user.last_login = None
    user.session_epoch += 1
    user.save()


def erase_everywhere(*, user: User) -> list[Erased]:
    """The command line's erasure: from every organization, then the account."""
    done = []
    for membership in list(Membership.objects.filter(user=user).select_related("org")):
        done.append(erase_person(org=membership.org, user=user, acting_user=None))
    user.refresh_from_db()
    if user.is_active:
        _anonymise_account(user)
    return done
