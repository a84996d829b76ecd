"""Test settings: the real settings, with fast hashing, immediate tasks and in-memory mail."""

import os
import tempfile

os.environ.setdefault("LOCKSTEP_DATA_DIR", tempfile.mkdtemp(prefix="lockstep-test-"))
os.environ.setdefault("LOCKSTEP_SECRET_KEY", "test-secret-key-not-for-production-0123456789")

from lockstep.settings import *  # noqa: E402, F403

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "lockstep.accounts.passwords.DemoPasswordHasher",
]
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
WHITENOISE_AUTOREFRESH = True
# Figures are computed on every view in tests (the tests of the figures cache turn it on):
# most tests write inside a transaction that never commits, so the version never moves.
LOCKSTEP_FIGURES_CACHE = False
