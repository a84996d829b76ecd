"""The `lockstep` command: Django's management commands with Lockstep's settings preset."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    argv[0] = "lockstep"
    if len(argv) > 1 and argv[1] == "demo":
        # Demo mode (not debug: the demo runs as in production, with branded error pages):
        # e-mail on the console; `demo` serves without refusing its well-known passwords.
        os.environ["LOCKSTEP_DEMO"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lockstep.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
