"""Attendance import: a CSV of attendee e-mails for one live session."""

from __future__ import annotations

from collections.abc import Iterator

from lockstep.accounts.models import User
from lockstep.core.imports import RowError
from lockstep.enablement import services
from lockstep.enablement.models import CompletionSource
from lockstep.programs.models import TrainingItem
from lockstep.programs.selectors import audience_reps


class AttendanceSpec:
    kind: str = "attendance"
    required_columns: tuple[str, ...] = ("email",)
    optional_columns: tuple[str, ...] = ("name", "first_name", "last_name", "duration", "joined")

    def __init__(self, item: TrainingItem, acting_user: User) -> None:
        self.item = item
        self.org = item.org
        self.acting_user = acting_user
        reps = audience_reps(item.program).select_related("user")
        self.reps = {m.user.email.lower(): m.user for m in reps}

    def validate_row(
        self, row_number: int, row: dict[str, str]
    ) -> tuple[User | None, list[RowError]]:
        email = row["email"].strip().lower()
        if not email:
            return None, [RowError(row_number, "email", "no e-mail address")]
        user = self.reps.get(email)
        if user is None:
            return None, [
                RowError(row_number, "email", f"{email} is not a rep of this program's audience")
            ]
        return user, []

    def validate_all(self, items: list[tuple[int, User]]) -> list[RowError]:
        return []  # the same attendee twice (rejoined the call) is fine

    def apply(self, items: list[tuple[int, User]], acting_user: User | None) -> Iterator[str]:
        seen: set[int] = set()
        for _, user in items:
            if user.pk in seen:
                yield "unchanged"
                continue
            seen.add(user.pk)
            added = services.mark_attendance(
                item=self.item, users=[user], acting_user=self.acting_user,
                source=CompletionSource.IMPORT,
            )  # fmt: skip
            yield "created" if added else "unchanged"
