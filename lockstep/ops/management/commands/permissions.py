from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from lockstep.core.permissions import permissions_markdown


class Command(BaseCommand):
    help = "Print the role × permission table (docs/permissions.md) as Markdown."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(permissions_markdown(), ending="")
