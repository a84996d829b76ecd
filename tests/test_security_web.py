"""Web hardening on every answer: the security headers on every page (each org route as a
role it allows, pages outside organizations, error pages, the API, static files), pages
that run under a Content-Security-Policy without 'unsafe-inline' (no inline script, style
or event handler in what the server renders), cookies, and `lockstep check --deploy` with
production settings reporting nothing."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.test import Client

from lockstep.accounts.services import create_token
from lockstep.core.permissions import PERMISSIONS
from tests.factories import Stock
from tests.test_permissions import ROLES, org_routes, url_for

ROOT = Path(__file__).resolve().parent.parent
INLINE = [
    # (a json_script data block is not code: browsers do not run application/json)
    (
        re.compile(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", re.I),
        "an inline <script>",
    ),
    (re.compile(r"<style\b", re.I), "a <style> block"),
    (re.compile(r"""\sstyle\s*=\s*["']""", re.I), "a style attribute"),
    (re.compile(r"""\son[a-z]+\s*=\s*["']""", re.I), "an inline event handler"),
    (re.compile(r"""\bhx-on""", re.I), "an hx-on handler (evaluated as script)"),
]


def directives(csp: str) -> dict[str, list[str]]:
    found = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            found[words[0]] = words[1:]
    return found


def header_problems(response: Any, where: str) -> list[str]:
    problems = []
    csp = response.get("Content-Security-Policy", "")
    rules = directives(csp)
    for name in ("script-src", "style-src", "default-src"):
        if name != "default-src" and name not in rules:
            problems.append(f"{where}: CSP has no {name}")
        if "'unsafe-inline'" in rules.get(name, []) or "'unsafe-eval'" in rules.get(name, []):
            problems.append(f"{where}: CSP {name} allows unsafe code: {rules[name]}")
    if rules.get("frame-ancestors") != ["'none'"] or response.get("X-Frame-Options") != "DENY":
        problems.append(f"{where}: may be framed")
    if rules.get("object-src") != ["'none'"] or "base-uri" not in rules:
        problems.append(f"{where}: CSP lacks object-src 'none' or base-uri")
    expected = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    for name, value in expected.items():
        if response.get(name) != value:
            problems.append(f"{where}: {name} is {response.get(name)!r}, not {value!r}")
    return problems


def inline_code(response: Any, where: str) -> list[str]:
    if "text/html" not in response.get("Content-Type", "") or getattr(response, "streaming", False):
        return []
    html = response.content.decode(errors="replace")
    return [f"{where}: {what}" for pattern, what in INLINE if pattern.search(html)]


def test_every_page_has_the_security_headers_and_no_inline_code(stock: Stock) -> None:
    problems: list[str] = []
    pages = 0
    for role, key in ROLES:
        client = Client(raise_request_exception=False)
        client.force_login(getattr(stock.world, key))
        for route in org_routes():
            if role not in PERMISSIONS[route.perm]:  # type: ignore[index]
                continue
            try:
                url = url_for(route, stock, key)
            except AssertionError:  # not mapped yet: tests/test_permissions.py says so
                continue
            for response in (client.get(url), client.get(url, HTTP_HX_REQUEST="true")):
                pages += 1
                where = f"GET {url} as {key} ({response.status_code})"
                problems += header_problems(response, where) + inline_code(response, where)
    assert pages > 300, pages
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(sorted(set(problems))[:60])


def test_pages_outside_organizations_errors_api_and_static_files_too(stock: Stock) -> None:
    anonymous = Client(raise_request_exception=False)
    rep = Client(raise_request_exception=False)
    rep.force_login(stock.world.rep)
    _, token = create_token(membership=stock.world.membership(stock.world.owner), name="h")
    api = Client(headers={"Authorization": f"Bearer {token}"})
    css = next((ROOT / "lockstep" / "static").rglob("app.css")).relative_to(ROOT / "lockstep")
    answers = {
        "login": anonymous.get("/accounts/login/"),
        "reset": anonymous.get("/accounts/password-reset/"),
        "bad invitation": anonymous.get("/accounts/invitation/nope/"),
        "two-factor": rep.get("/accounts/two-factor/"),
        "two-factor set-up": rep.post("/accounts/two-factor/", {"action": "start"}),
        "404": rep.get("/o/acme/no-such-page/"),
        "403": rep.get(f"/o/acme/programs/{stock.program.pk}/edit/"),
        "405": rep.get("/accounts/logout/"),
        "api json": api.get("/api/v1/me"),
        "api problem": api.get("/api/v1/programs/999999"),
        "api docs": anonymous.get("/api/v1/docs"),
        "static": anonymous.get(f"/{css}"),
        "health": anonymous.get("/healthz"),
    }
    problems = []
    for name, response in answers.items():
        if name in ("static", "health"):
            # WhiteNoise and the health checks answer before the page middleware: files
            # and JSON, never framed documents; they still must not be sniffed as HTML.
            if name == "static" and response.get("X-Content-Type-Options") != "nosniff":
                problems.append("static: X-Content-Type-Options is not nosniff")
            continue
        problems += header_problems(response, name)
        if name != "api docs":  # the Swagger page is the API's own: see docs/api.md
            problems += inline_code(response, name)
    assert answers["two-factor set-up"].status_code == 200
    assert "<svg" in answers["two-factor set-up"].content.decode()
    assert not problems, "\n".join(problems)


def test_hsts_over_https(stock: Stock, settings: Any) -> None:
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    response = Client().get("/accounts/login/", secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert "Strict-Transport-Security" not in Client().get("/accounts/login/")


def test_cookies_are_http_only_secure_over_https_and_same_site() -> None:
    from lockstep import settings as production

    assert production.SESSION_COOKIE_HTTPONLY and production.CSRF_COOKIE_HTTPONLY
    assert production.SESSION_COOKIE_SAMESITE == "Lax"
    assert getattr(production, "CSRF_COOKIE_SAMESITE", "Lax") == "Lax"  # Django's default
    assert production.SESSION_COOKIE_AGE == production.SESSION_MAX_HOURS * 3600 <= 24 * 3600


def test_check_deploy_with_production_settings_reports_nothing(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("LOCKSTEP_")
        and k not in ("DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE")  # the browser tests' setting
    }
    env |= {
        "DJANGO_SETTINGS_MODULE": "lockstep.settings",
        "LOCKSTEP_DATA_DIR": str(tmp_path),
        "LOCKSTEP_HTTPS": "1",
        "LOCKSTEP_SECRET_KEY": secrets.token_urlsafe(60),
        "LOCKSTEP_ALLOWED_HOSTS": "lockstep.example.com",
    }
    result = subprocess.run(
        [sys.executable, "-m", "lockstep.cli", "check", "--deploy", "--fail-level", "WARNING"],
        env=env, cwd=ROOT, capture_output=True, text=True, check=False, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout
