"""`lockstep person export|erase`: everything stored about a person, or erase them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.serializers.json import DjangoJSONEncoder

from lockstep.accounts.models import User
from lockstep.core.errors import DomainError
from lockstep.ops import privacy
from lockstep.orgs.models import Organization


class Command(BaseCommand):
    help = (
        "Export everything stored about a person as JSON, or erase them (their figures stay, "
        "who they were goes; audited)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="print (or write) the person's data as JSON")
        erase = sub.add_parser("erase", help="erase the person from one or every organization")
        for p in (export, erase):
            p.add_argument("--email", required=True, help="The person's e-mail.")
            p.add_argument("--org", help="One organization's slug (default: all of them).")
        export.add_argument("--output", help="Write to this file instead of standard output.")
        erase.add_argument("--yes", action="store_true", help="Do it (otherwise: a dry run).")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(email__iexact=options["email"].strip()).first()
        if user is None:
            raise CommandError(f"Nobody has the e-mail {options['email']}.")
        org = None
        if options.get("org"):
            org = Organization.objects.filter(slug=options["org"]).first()
            if org is None:
                raise CommandError(f"There is no organization “{options['org']}”.")
        if options["action"] == "export":
            data = privacy.export_person(user, org)
            text = json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
            if options.get("output"):
                Path(options["output"]).write_text(text + "\n", encoding="utf-8")
                self.stderr.write(f"Wrote {options['output']}.")
            else:
                self.stdout.write(text)
            for membership in user.memberships.select_related("org"):
                if org is None or membership.org_id == org.pk:
                    privacy.record_export(org=membership.org, user=user, acting_user=None)
            return
        where = org.name if org else "every organization"
        if not options["yes"]:
            self.stdout.write(f"Would erase {user.email} from {where}. Add --yes to do it.")
            return
        try:
            if org is None:
                done = privacy.erase_everywhere(user=user)
            else:
                done = [privacy.erase_person(org=org, user=user, acting_user=None)]
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        rows = sum(e.rows for e in done)
        self.stdout.write(
            self.style.SUCCESS(f"Erased from {where}: {rows} rows re-attributed, figures kept.")
        )
