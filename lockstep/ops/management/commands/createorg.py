from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email, validate_slug
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lockstep.orgs.models import Organization
from lockstep.orgs.notify import absolute_url
from lockstep.orgs.services import create_organization


class Command(BaseCommand):
    help = "Create an organization and its owner; print a one-time link to set the password."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True)
        parser.add_argument("--slug", required=True, help="Used in URLs: /o/<slug>/")
        parser.add_argument("--owner-email", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        name, slug, email = (
            options["name"].strip(),
            options["slug"].strip(),
            options["owner_email"].strip(),
        )
        try:
            validate_slug(slug)
            validate_email(email)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if not name or len(name) > 120:
            raise CommandError("--name must be 1 to 120 characters.")
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"An organization with the slug “{slug}” already exists.")
        org, owner = create_organization(name=name, slug=slug, owner_email=email.lower())
        self.stdout.write(
            self.style.SUCCESS(f"Created {org.name} (/o/{org.slug}/) owned by {owner.email}.")
        )
        if owner.has_usable_password():
            self.stdout.write("The owner already has a password: they can log in now.")
            return
        uid = urlsafe_base64_encode(force_bytes(owner.pk))
        token = default_token_generator.make_token(owner)
        path = reverse("accounts:password_reset_confirm", args=[uid, token])
        self.stdout.write("Set the owner's password with this one-time link (valid 3 days):")
        self.stdout.write(absolute_url(path))
