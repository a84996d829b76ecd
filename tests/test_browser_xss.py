"""Stored XSS, in the browser: a payload corpus stored through the services in every field
people type and the app shows — program texts and WIIFM, check questions, answers and
explanations, rep questions, answers and FAQ, preview feedback, pulse comments, asset
titles and file names, team names, people's names, lead values from an import,
rejection reasons, training, notifications — then every page that shows them is opened in
Chromium as the roles that see them.

A payload ran (or tried to) when: a dialog opened, the page's `window.__xss` marker was
set, the Content-Security-Policy reported a blocked inline script or handler (the escaping
failed; only the CSP stopped it), or the DOM holds an element the payload would have
created (an <img src=x>, an inline handler, a javascript: link, an inline <script>)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from lockstep.feedback import services as feedback
from lockstep.orgs import notify
from lockstep.orgs import services as orgs
from lockstep.programs import services as programs
from lockstep.programs.inputs import AssetInput, CheckQuestionInput, WiifmInput
from lockstep.programs.models import Program, ProgramStatus
from lockstep.results import services as results
from lockstep.results.models import Lead
from tests.browser import log_in, shot
from tests.factories import LeadFactory, PulseResponseFactory, Stock

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARK = "window.__xss=(window.__xss||0)+1"
SHORT = [  # for names and titles (a few dozen characters)
    f"<img src=x onerror={MARK}>",
    f'"><svg onload={MARK}>',
    f"'</title><script>{MARK}</script>",
]
LONG = [  # for texts, Markdown included
    f"<script>{MARK}</script><b onmouseover={MARK}>bold</b>",
    f"[click me](javascript:{MARK}) and <a href='javascript:{MARK}'>here</a>",
    f'</textarea><iframe srcdoc="<script>parent.{MARK}</script>"></iframe>',
    f"![x](x){{: onerror={MARK}}} <details open ontoggle={MARK}>{{{{7*7}}}}</details>",
    f"```\n</code><img src=x onerror={MARK}>\n```",
]


def short(i: int) -> str:
    return SHORT[i % len(SHORT)] + f" #{i}"


def long(i: int) -> str:
    return "\n\n".join(LONG[i % len(LONG) :] + LONG[: i % len(LONG)])


def poison(stock: Stock) -> dict[str, int]:
    """Store the corpus everywhere a person can type, as the people who type it."""
    w, program = stock.world, stock.program
    programs.save_wiifm(
        program=program, acting_user=w.marketer,
        data=WiifmInput(wiifm=long(0), incentive_kind="spiff", incentive_amount=None,
                        incentive_currency="EUR", proof_points=long(1)),
    )  # fmt: skip
    Program.objects.filter(pk=program.pk).update(name=short(0), summary=long(2))
    programs.add_asset(
        program=program, acting_user=w.marketer,
        data=AssetInput(kind="faq", title=short(1), partner_visible=True,
                        file=SimpleUploadedFile(f"{SHORT[0]}.pdf", b"%PDF-1.4 x", "application/pdf")),
    )  # fmt: skip
    Program.objects.filter(pk=program.pk).update(status=ProgramStatus.PREVIEW)
    program.refresh_from_db()
    programs.add_check_question(
        check=stock.check, acting_user=w.marketer,
        data=CheckQuestionInput(text=short(2), kind="single", explanation=long(3),
                                choices=((short(3), True), (short(4), False))),
    )  # fmt: skip
    programs.give_feedback(program=program, membership=stock.rep_membership, body=long(4))
    Program.objects.filter(pk=program.pk).update(status=ProgramStatus.LIVE)
    program.refresh_from_db()
    question = feedback.ask_question(program=program, user=w.rep, body=long(0))
    feedback.answer_question(question=question, acting_user=w.marketer, answer=long(1))
    question.refresh_from_db()
    feedback.promote_to_faq(
        question=question, acting_user=w.marketer, faq_question=short(5), faq_answer=long(2)
    )
    feedback.answer_pulse(
        pulse_round=stock.pulse_round, membership=stock.rep_membership,
        scores={"understand": 2, "helps": 3, "next_steps": 4}, comment=long(3),
    )  # fmt: skip
    PulseResponseFactory(round=stock.pulse_round, user=w.partner, comment=long(4))
    orgs.create_team(
        org=w.org, acting_user=w.owner, name=short(6), parent=w.region, channel="direct"
    )
    orgs.update_team(
        team=w.team, acting_user=w.owner, name=short(7), parent=w.region, channel="direct"
    )
    type(w.rep).objects.filter(pk=w.rep.pk).update(first_name=SHORT[0], last_name=SHORT[1])
    LeadFactory(
        program=program, rep=w.rep, company=short(8), contact_name=short(9),
        email="lead@x.example", campaign=short(10),
    )  # fmt: skip
    results.add_rejection_reason(org=w.org, acting_user=w.owner, label=short(11))
    Lead.objects.filter(pk=stock.lead.pk).update(rejection_comment=long(0))
    for user in (w.rep, w.marketer):
        notify.notify(
            org=w.org, user=user, kind="x", title=short(12), body=long(1), key=f"xss-{user.pk}",
            url=f"javascript:{MARK}",
        )  # fmt: skip
    type(stock.module).objects.filter(pk=stock.module.pk).update(title=short(13), content=long(2))
    return {"fields": 30}


DETECT = """() => {
  const bad = [];
  const q = (sel) => Array.from(document.querySelectorAll(sel));
  q('img[src="x"], iframe[srcdoc], details[ontoggle]').forEach(e => bad.push(e.outerHTML.slice(0, 80)));
  q('*').forEach(e => { for (const a of e.attributes) {
    if (a.name.startsWith('on')) bad.push(e.tagName + ' ' + a.name);
    if ((a.name === 'href' || a.name === 'src' || a.name === 'action')
        && a.value.trim().toLowerCase().startsWith('javascript:')) bad.push(e.tagName + ' ' + a.name + '=' + a.value.slice(0, 40));
  }});
  q('script:not([src]):not([type="application/json"])').forEach(e => bad.push('inline script'));
  return {bad, marker: window.__xss || 0};
}"""


def watch(page: Any) -> list[str]:
    """Dialogs and the CSP's reports of blocked inline code, as they happen."""
    events: list[str] = []

    def on_console(message: Any) -> None:
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused" in text):
            events.append(text)

    def on_dialog(dialog: Any) -> None:
        events.append(f"dialog {dialog.message}")
        dialog.dismiss()

    page.on("console", on_console)
    page.on("dialog", on_dialog)
    return events


def pages(stock: Stock) -> dict[str, list[str]]:
    slug, p = stock.org.slug, stock.program.pk
    program = f"/o/{slug}/programs/{p}/"
    return {
        "marketer": [
            program, f"/o/{slug}/programs/", f"/o/{slug}/programs/calendar/", f"/o/{slug}/",
            program + "brief/", program + "questions/", program + "pulse/", program + "funnel/",
            program + "results/", program + "check/questions/", f"/o/{slug}/teams/",
            f"/o/{slug}/members/", f"/o/{slug}/notifications/", program + "scorecard/",
            f"/o/{slug}/leads/unmatched/",
        ],
        "rep": [f"/o/{slug}/", program + "brief/", f"/o/{slug}/leads/", f"/o/{slug}/notifications/"],
        "owner": [
            f"/o/{slug}/audit/", f"/o/{slug}/settings/rejection-reasons/",
            f"/o/{slug}/teams/{stock.team.pk}/",
            reverse("orgs:member_edit", args=[slug, stock.rep_membership.pk]),
        ],
        "leader": [f"/o/{slug}/", f"/o/{slug}/leads/", program, program + "funnel/"],
    }  # fmt: skip


def test_stored_payloads_never_run_on_any_page(
    browser: Any, live_server: Any, stock: Stock
) -> None:
    poison(stock)
    base = live_server.url
    problems: list[str] = []
    visited = 0
    for role, urls in pages(stock).items():
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        events = watch(page)
        user = getattr(stock.world, role)
        log_in(page, base, user.email, landing=f"/o/{stock.org.slug}/")
        for url in urls:
            events.clear()
            response = page.goto(base + url)
            visited += 1
            status = response.status if response else 0
            if status != 200:
                problems.append(f"{role} {url}: status {status}")
                continue
            page.wait_for_load_state("networkidle")
            # hover and open what a person would, so handlers would fire
            page.mouse.move(200, 300)
            found = page.evaluate(DETECT)
            if found["bad"] or found["marker"] or events:
                problems.append(f"{role} {url}: {found} {events[:3]}")
        shot(page, f"xss-{role}")
        context.close()
    assert visited >= 25
    assert not problems, f"{len(problems)} page(s) ran a payload:\n" + "\n".join(problems)


def test_uploaded_html_and_svg_are_refused_or_downloaded_never_shown(stock: Stock) -> None:
    w = stock.world
    client = w.client(w.marketer)
    url = reverse("programs:asset_add", args=[stock.org.slug, stock.program.pk])
    for name, body, kind in [
        ("card.svg", b"<svg onload='alert(1)'/>", "image/svg+xml"),
        ("card.html", b"<script>alert(1)</script>", "text/html"),
        ("../../../etc/passwd.pdf", b"%PDF-1.4", "application/pdf"),
    ]:
        upload = SimpleUploadedFile(name, body, content_type=kind)
        client.post(
            url,
            {"kind": "faq", "title": name, "file": upload, "owner": stock.marketer_membership.pk},
        )
    stored = list(stock.program.assets.exclude(file=""))
    names = [str(a.file.name) for a in stored]
    assert not any(n.endswith((".svg", ".html")) for n in names), names
    for asset in stored:
        name = str(asset.file.name)
        assert ".." not in name and not name.startswith("/")
        from django.conf import settings

        assert str(settings.MEDIA_ROOT) in str(asset.file.path)
        opened = client.get(
            reverse("programs:asset_open", args=[stock.org.slug, stock.program.pk, asset.pk])
        )
        assert opened["Content-Disposition"].startswith("attachment")
        assert opened["X-Content-Type-Options"] == "nosniff"


def test_csv_the_product_writes_escapes_formulas() -> None:
    from lockstep.core.imports import spreadsheet_safe, write_csv

    for cell in [
        "=1+1",
        '+1+HYPERLINK("http://evil.example")',
        "-1+cmd|' /C calc'!A0",
        "@SUM(A1)",
        "\t=1",
        "\r=1",
    ]:
        assert str(spreadsheet_safe(cell)).startswith("'"), cell
    assert write_csv([["=cmd|x", "plain"]]).startswith("'=cmd|x,plain")
    # The exports' shared helper (core.csvexport) uses the same rule for every table.
    from lockstep.core.csvexport import csv_lines

    lines = "".join(csv_lines(["Name"], [['=HYPERLINK("http://evil.example")'], [-5]]))
    assert "'=HYPERLINK" in lines and "\r\n-5\r\n" in lines  # numbers stay numbers


def test_csv_escapes_formulas_behind_leading_whitespace() -> None:
    from lockstep.core.imports import spreadsheet_safe

    for cell in [" =1+1", "\n=1+1", ' +1+HYPERLINK("http://evil.example")']:
        assert str(spreadsheet_safe(cell)).startswith("'"), cell


def test_markdown_is_sanitised() -> None:
    from lockstep.core.markdown import render_markdown

    html = str(render_markdown("\n\n".join(LONG)))
    tags = re.findall(r"<[a-zA-Z][^>]*>", html)  # the elements it made (text stays escaped)
    for tag in tags:
        assert not re.search(r"\son\w+\s*=|javascript:|^<(script|iframe|svg|img)", tag), tag
