"""`lockstep token create|revoke|list`: personal API tokens from the command line."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from lockstep.accounts.models import ApiToken
from lockstep.accounts.services import MAX_EXPIRY_DAYS, create_token, revoke_token
from lockstep.core.permissions import Perm, can
from lockstep.core.templatetags.lockstep_tags import counted
from lockstep.orgs.models import Membership


class Command(BaseCommand):
    help = "Create (printed once), list or revoke a member's personal API tokens."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        for name, text in (
            ("create", "make a token and print it (it is shown only this once)"),
            ("revoke", "revoke the member's active tokens with this name"),
            ("list", "list the member's active tokens"),
        ):
            p = sub.add_parser(name, help=text)
            p.add_argument("--org", required=True, help="The organization's slug.")
            p.add_argument("--email", required=True, help="The member the token acts as.")
            if name != "list":
                p.add_argument("--name", required=True, help="What the token is for.")
            if name == "create":
                p.add_argument(
                    "--expires", type=int, metavar="DAYS", default=None,
                    help="Stop working after this many days (default: never).",
                )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        membership = (
            Membership.objects.select_related("org", "user")
            .filter(org__slug=options["org"], user__email__iexact=options["email"].strip())
            .first()
        )
        if membership is None:
            raise CommandError(f"{options['email']} is not a member of “{options['org']}”.")
        tokens = ApiToken.objects.filter(membership=membership, revoked_at__isnull=True)
        action = options["action"]
        if action == "list":
            for t in tokens:
                expiry = f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "no expiry"
                used = (
                    f"last used {t.last_used_at:%Y-%m-%d %H:%M}" if t.last_used_at else "never used"
                )
                self.stdout.write(f"{t.prefix}…  {t.name}  ({expiry}, {used})")
            return
        name = options["name"].strip()
        if not name or len(name) > 100:
            raise CommandError("--name must be 1 to 100 characters.")
        if action == "revoke":
            matching = list(tokens.filter(name=name))
            if not matching:
                raise CommandError(f"{membership.user.email} has no active token named “{name}”.")
            for t in matching:
                revoke_token(api_token=t, acting_user=None)
            self.stdout.write(
                self.style.SUCCESS(f"Revoked {counted(len(matching), 'token', 'tokens')} “{name}”.")
            )
            return
        if not can(membership, Perm.USE_API):
            raise CommandError("This member's role may not use the API.")
        days = options["expires"]
        if days is not None and not 1 <= days <= MAX_EXPIRY_DAYS:
            raise CommandError(f"--expires is a number of days from 1 to {MAX_EXPIRY_DAYS}.")
        api_token, token = create_token(membership=membership, name=name, expires_in_days=days)
        self.stderr.write(
            f"Token “{name}” for {membership.user.email} in {membership.org.slug} "
            f"({'expires in ' + str(days) + ' days' if days else 'no expiry'}). "
            "It is shown only now:"
        )
        self.stdout.write(token)
