"""What changes insights' own rows: stored themes and retrospectives (derived, recomputed at
will), a retrospective's lessons and digest subscriptions (written by people, audited)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from lockstep.accounts.models import User
from lockstep.core.errors import Conflict
from lockstep.core.events import Action
from lockstep.core.services import diff, record_audit
from lockstep.insights import retrospective, themes
from lockstep.insights.models import DigestSubscription, Retrospective, ThemeRun
from lockstep.insights.tasks import group_program_themes
from lockstep.orgs.models import Membership, Organization
from lockstep.programs.models import Program, ProgramStatus

# Programs whose texts are regrouped when they change: until a month after they close.
THEMES_AFTER_CLOSE = dt.timedelta(days=30)
# A closed program's numbers are measured again daily for a month (late CRM imports).
RETRO_REFRESH_FOR = dt.timedelta(days=30)
RETRO_REFRESH_EVERY = dt.timedelta(days=1)


class LessonsRefused(Conflict):
    pass


# --- objection themes -----------------------------------------------------------------------


def refresh_themes(*, program: Program, force: bool = False) -> ThemeRun:
    """Group the program's texts now and store the result (unchanged texts: nothing to do,
    unless forced)."""
    texts = themes.collect_texts(program)
    fingerprint = themes.fingerprint(texts)
    run = ThemeRun.objects.filter(program=program).first()
    if run is not None and run.fingerprint == fingerprint and not force:
        return run
    grouping = themes.group_texts(texts, program.name)
    team_ids = {int(t) for theme in grouping.themes for t in theme["counts_by_team"]}
    names = dict(program.org.teams.filter(pk__in=team_ids).values_list("pk", "name"))
    values = {
        "org": program.org,
        "computed_at": timezone.now(),
        "fingerprint": fingerprint,
        "text_count": len(texts),
        "unthemed": grouping.unthemed,
        # which text is in which theme is not kept: only counts, terms and a quote
        "themes": [{k: v for k, v in t.items() if k != "members"} for t in grouping.themes],
        "team_names": {str(k): v for k, v in names.items()},
    }
    run, _ = ThemeRun.objects.update_or_create(program=program, defaults=values)
    return run


def request_themes(*, program: Program) -> None:
    """Regroup the program's texts in the background, once the transaction commits."""
    program_id = program.pk
    transaction.on_commit(lambda: group_program_themes.enqueue(program_id))


def theme_programs(now: dt.datetime) -> list[Program]:
    """Programs whose texts may still change: in preview, live, or closed recently."""
    recent = now - THEMES_AFTER_CLOSE
    active = Program.objects.filter(
        status__in=[ProgramStatus.PREVIEW, ProgramStatus.LIVE, ProgramStatus.CLOSED]
    ).select_related("org")
    return [p for p in active if p.status != ProgramStatus.CLOSED or p.updated_at >= recent]


def refresh_stale_themes(now: dt.datetime | None = None) -> int:
    """Queue a regrouping for every program whose texts changed since its last grouping
    (four small queries per program to tell). Returns how many were queued."""
    now = now or timezone.now()
    stored = dict(ThemeRun.objects.values_list("program_id", "fingerprint"))
    queued = 0
    for program in theme_programs(now):
        if stored.get(program.pk) != themes.fingerprint(themes.collect_texts(program)):
            request_themes(program=program)
            queued += 1
    return queued


# --- retrospectives -------------------------------------------------------------------------


def refresh_retrospective(*, program: Program) -> Retrospective:
    """Measure a closed program now and store it (its lessons are kept)."""
    data = retrospective.compute(program)
    record, _ = Retrospective.objects.update_or_create(
        program=program,
        defaults={
            "org": program.org,
            "version": retrospective.VERSION,
            "computed_at": timezone.now(),
            "data": data,
        },
    )
    return record


def ensure_retrospective(program: Program) -> Retrospective | None:
    """The closed program's retrospective, measured first if it never was (or by an older
    version of the computation); None for a program that is not closed."""
    if program.status != ProgramStatus.CLOSED:
        return None
    record = Retrospective.objects.filter(program=program).first()
    if record is None or record.version < retrospective.VERSION or record.computed_at is None:
        record = refresh_retrospective(program=program)
    return record


def ensure_retrospectives(org: Organization) -> int:
    """Measure every closed program of the organization that has no current
    retrospective; returns how many were measured."""
    current = Retrospective.objects.for_org(org).filter(
        version__gte=retrospective.VERSION, computed_at__isnull=False
    )
    missing = (
        Program.objects.for_org(org)
        .filter(status=ProgramStatus.CLOSED)
        .exclude(pk__in=current.values("program_id"))
        .select_related("org")
    )
    count = 0
    for program in missing:
        refresh_retrospective(program=program)
        count += 1
    return count


def refresh_insights(now: dt.datetime | None = None) -> int:
    """The periodic job: retrospectives measured where missing (and again daily for a month
    after the close: CRM data arrives late), themes regrouped where the texts changed."""
    now = now or timezone.now()
    count = 0
    for org in Organization.objects.all():
        count += ensure_retrospectives(org)
    stale = Retrospective.objects.filter(
        program__status=ProgramStatus.CLOSED,
        program__updated_at__gte=now - RETRO_REFRESH_FOR,
        computed_at__lt=now - RETRO_REFRESH_EVERY,
    ).select_related("program__org")
    for record in stale:
        refresh_retrospective(program=record.program)
        count += 1
    return count + refresh_stale_themes(now)


@transaction.atomic
def save_lessons(*, program: Program, acting_user: User, lessons: str) -> Retrospective:
    """The lessons of a closed program (Markdown), audited with before and after."""
    if program.status != ProgramStatus.CLOSED:
        raise LessonsRefused("Lessons are written once the program has closed.")
    record = ensure_retrospective(program)
    assert record is not None  # noqa: S101 — closed programs always get one
    record = Retrospective.objects.select_for_update().get(pk=record.pk)
    before = record.lessons
    lessons = lessons.strip()
    if before == lessons:
        return record
    record.lessons = lessons
    record.lessons_by = acting_user
    record.lessons_at = timezone.now()
    record.save(update_fields=["lessons", "lessons_by", "lessons_at"])
    record_audit(
        org=program.org, acting_user=acting_user, action=Action.LESSONS_SAVED, obj=program,
        changes=diff({"lessons": before}, {"lessons": lessons}),
    )  # fmt: skip
    return record


# --- the weekly digest ----------------------------------------------------------------------


@transaction.atomic
def set_digest_subscription(
    *, membership: Membership, subscribed: bool, acting_user: User, via: str = "page"
) -> DigestSubscription:
    """Subscribe or unsubscribe a member (from their digest page, or the e-mail's one-click
    link: `via`), audited when it changes."""
    from lockstep.insights.digest import is_subscribed

    before = is_subscribed(membership)
    record, _ = DigestSubscription.objects.update_or_create(
        membership=membership,
        defaults={"org": membership.org, "subscribed": subscribed, "changed_at": timezone.now()},
    )
    if before != subscribed:
        action = Action.DIGEST_SUBSCRIBED if subscribed else Action.DIGEST_UNSUBSCRIBED
        record_audit(
            org=membership.org, acting_user=acting_user, action=action, obj=membership,
            note=f"via the {'one-click link' if via == 'link' else 'digest page'}",
        )  # fmt: skip
    return record
