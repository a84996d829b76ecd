"""The `lockstep` command: Django's management commands with Lockstep's settings preset."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "lockstep"
    if len(argv) > 1 and argv[1] == "demo":
        # The demo runs in debug mode; this is what allows its well-known passwords.
        os.environ["LOCKSTEP_DEBUG"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lockstep.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
