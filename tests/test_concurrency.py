"""`lockstep serve` (gunicorn, several workers) under a bounded burst of concurrent writes on
the suite's database: pulse answers, knowledge-check submissions, lead touches (fifty on one
lead), a rep's touch racing a leader's reassignment or the rep's own rejection, the same lead
rejected twice at once; then two imports of the same file, and web writes while a large
import runs. Every accepted write is stored exactly once, nothing is lost, no user sees a
server error, and the server never logs "database is locked"."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.procs import (
    ENGINE,
    Site,
    answer_pulse,
    crm_people,
    demo_site,  # noqa: F401 — fixtures
    free_port,
    ops_base,  # noqa: F401
    post,
    serving,
    sessions,
    sqlite_demo_site,  # noqa: F401
    wait_for,
    write_leads,
)

PULSE_REPS = 150
QUIZ_REPS = 40
SAME_LEAD_TOUCHES = 50
SPREAD_TOUCHES = 100
RACES = 12
DOUBLE_REJECTS = 10
CONCURRENCY = 24

TARGETS = """
from django.db.models import Exists, OuterRef
from lockstep.core.permissions import Role
from lockstep.enablement.models import CheckAttempt
from lockstep.orgs.models import Membership
from lockstep.orgs.selectors import my_reps
from lockstep.programs.models import KnowledgeCheck, Program, ProgramStatus
from lockstep.programs.selectors import audience_reps, current_round
from lockstep.results.models import Lead, LeadStatus, RejectionReason
from lockstep.results.services import ensure_rejection_reasons

live = Program.objects.filter(org__slug="demo", status=ProgramStatus.LIVE).order_by("pk")
pulse = next(p for p in live if current_round(p) is not None)
pulse_round = current_round(pulse)
pulse_reps = list(audience_reps(pulse).values_list("user__email", flat=True).order_by("pk"))

check = next(
    c for c in KnowledgeCheck.objects.filter(program__in=live).order_by("pk")
    if c.questions.exists()
)
tried = CheckAttempt.objects.filter(knowledge_check=check, user=OuterRef("user"))
quiz_reps = list(
    audience_reps(check.program).exclude(Exists(tried)).values_list("user__email", flat=True)
    .order_by("pk")
)
questions = {str(q.pk): [c.pk for c in q.choices.order_by("pk")] for q in check.questions.all()}

leader = Membership.objects.get(org__slug="demo", user__email="leader@demo.example")
team_reps = list(my_reps(leader).select_related("user").order_by("pk"))
fresh = Lead.objects.filter(
    org__slug="demo", status=LeadStatus.NEW, first_touch_at__isnull=True, rep__isnull=False
).select_related("rep").order_by("pk")
team_user_ids = {m.user_id for m in team_reps}
team_leads = [l for l in fresh.filter(rep_id__in=team_user_ids)]
other_leads = [l for l in fresh.exclude(rep_id__in=team_user_ids)]
ensure_rejection_reasons(leader.org)
reason = RejectionReason.objects.filter(org=leader.org, active=True).exclude(code="other").first()


def move_to(lead):
    return next(m.pk for m in team_reps if m.user_id != lead.rep_id)


races = team_leads[: int(sys.argv[1])]
rest = other_leads + team_leads[int(sys.argv[1]):]
leads = lambda items: [[l.pk, l.rep.email] for l in items]
print(json.dumps({
    "pulse": {"program": pulse.pk, "round": pulse_round.pk, "reps": pulse_reps},
    "quiz": {"program": check.program_id, "check": check.pk, "reps": quiz_reps, "questions": questions},
    "reassign": [[l.pk, l.rep.email, move_to(l)] for l in races],
    "leads": leads(rest[: int(sys.argv[2])]),
    "reason": reason.code,
}))
"""

RESULTS = """
from collections import Counter
from django.db.models import Min
from lockstep.core.models import ActivityEvent
from lockstep.enablement.models import CheckAttempt
from lockstep.feedback.models import PulseResponse
from lockstep.results.models import Lead, LeadTouch
args = json.loads(sys.argv[1])
pulse = {r.user.email: [r.understand, r.helps, r.next_steps]
         for r in PulseResponse.objects.filter(round_id=args["round"]).select_related("user")}
pulse_rows = dict(Counter(PulseResponse.objects.filter(round_id=args["round"]).values_list("user__email", flat=True)))
attempts = dict(Counter(CheckAttempt.objects.filter(
    knowledge_check_id=args["check"], submitted_at__isnull=False).values_list("user__email", flat=True)))
open_attempts = dict(Counter(CheckAttempt.objects.filter(
    knowledge_check_id=args["check"], submitted_at__isnull=True).values_list("user__email", flat=True)))
leads = {}
for lead in Lead.objects.filter(pk__in=args["leads"]).select_related("rep", "rejection_reason"):
    touches = LeadTouch.objects.filter(lead=lead)
    leads[str(lead.pk)] = {
        "rep": lead.rep.email if lead.rep else None,
        "status": lead.status,
        "reason": lead.rejection_reason.code if lead.rejection_reason else None,
        "first_touch_at": lead.first_touch_at.isoformat() if lead.first_touch_at else None,
        "earliest": touches.aggregate(m=Min("at"))["m"].isoformat() if touches.exists() else None,
        "touches": dict(Counter(touches.values_list("rep__email", flat=True))),
        "rejected_events": ActivityEvent.objects.filter(verb="lead.rejected", object_id=lead.pk).count(),
    }
print(json.dumps({"pulse": pulse, "pulse_rows": pulse_rows, "attempts": attempts,
                  "open_attempts": open_attempts, "leads": leads}))
"""


@dataclass
class Served:
    site: Site
    port: int
    process: subprocess.Popen[bytes]

    def errors_logged(self) -> list[str]:
        log = self.site.log("serve.log")
        return [
            line for line in log.splitlines()
            if "database is locked" in line or " 500" in line or "Traceback" in line
        ]  # fmt: skip


@pytest.fixture(scope="module")
def served(ops_base: Path, demo_site: Site) -> Iterator[Served]:  # noqa: F811
    site = Site.create(ops_base, template=demo_site)
    try:
        # `serve` refuses demo data (the public demo password) outside demo mode.
        site.extra_env["LOCKSTEP_DEMO"] = "1"
        port = free_port()
        process = site.start("serve", "--port", str(port), "--workers", "3", log="serve.log")
        wait_for(lambda: serving(port), 120, 0.1)
        yield Served(site, port, process)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        site.destroy()


def burst(calls: list[Callable[[], int]]) -> list[int]:
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        return list(pool.map(lambda call: call(), calls))


def test_a_burst_of_concurrent_writes_is_stored_exactly_once(served: Served) -> None:
    site, port = served.site, served.port
    targets = site.script(TARGETS, str(RACES), str(SPREAD_TOUCHES + DOUBLE_REJECTS + RACES + 1))
    pulse, quiz = targets["pulse"], targets["quiz"]
    pulse_reps = pulse["reps"][:PULSE_REPS]
    quiz_reps = quiz["reps"][:QUIZ_REPS]
    leads = targets["leads"]
    same_lead, rest = leads[0], leads[1:]
    spread = rest[:SPREAD_TOUCHES]
    doubles = rest[SPREAD_TOUCHES : SPREAD_TOUCHES + DOUBLE_REJECTS]
    rejected_while_touched = rest[SPREAD_TOUCHES + DOUBLE_REJECTS :][:RACES]
    emails = {
        *pulse_reps, *quiz_reps, "leader@demo.example",
        *(email for _, email in leads), *(email for _, email, _ in targets["reassign"]),
    }  # fmt: skip
    cookie = sessions(site, sorted(emails))
    calls: list[Callable[[], int]] = []
    record: dict[str, list[tuple[Any, ...]]] = defaultdict(list)

    def call(kind: str, key: Any, fn: Callable[[], int]) -> None:
        def run() -> int:
            status = fn()
            record[kind].append((key, status))
            return status

        calls.append(run)

    def touch(lid: int, email: str, kind: str = "call") -> Callable[[], int]:
        return lambda: post(port, f"/o/demo/leads/{lid}/touch/", cookie[email], [("kind", kind)])

    def reject(lid: int, email: str) -> Callable[[], int]:
        fields = [("lead", str(lid)), ("reason", targets["reason"]), ("comment", "Competitor")]
        return lambda: post(port, "/o/demo/leads/reject/", cookie[email], fields)

    def reassign(lid: int, to: int) -> Callable[[], int]:
        path, leader = f"/o/demo/leads/{lid}/reassign/", cookie["leader@demo.example"]
        return lambda: post(port, path, leader, [("to", str(to))])

    def pulse_answer(email: str, score: int) -> Callable[[], int]:
        return lambda: answer_pulse(port, pulse["program"], cookie[email], score)

    def take_check(email: str) -> Callable[[], int]:
        answers = [(f"q{qid}", str(choices[0])) for qid, choices in quiz["questions"].items()]
        path = f"/o/demo/programs/{quiz['program']}/check/take/"
        return lambda: post(port, path, cookie[email], answers)

    scores: dict[str, list[int]] = {}
    for i, email in enumerate(pulse_reps):
        scores[email] = [1 + i % 5]
        call("pulse", email, pulse_answer(email, scores[email][0]))
    for email in pulse_reps[:10]:  # a double click with another score: one answer kept
        scores[email].append(5 - scores[email][0] % 5)
        call("pulse", email, pulse_answer(email, scores[email][1]))
    for email in quiz_reps + quiz_reps[:5]:  # five submitted twice at once
        call("quiz", email, take_check(email))
    lead_id, owner = same_lead
    for _ in range(SAME_LEAD_TOUCHES):
        call("same", lead_id, touch(lead_id, owner))
    for lid, email in spread:
        call("spread", lid, touch(lid, email, "email"))
    for lid, email, to in targets["reassign"]:
        call("race-touch", lid, touch(lid, email))
        call("reassign", lid, reassign(lid, to))
    for lid, email in rejected_while_touched:
        call("race-touch-r", lid, touch(lid, email))
        call("reject", lid, reject(lid, email))
    for lid, email in doubles:
        call("double", lid, reject(lid, email))
        call("double", lid, reject(lid, email))

    random.shuffle(calls)
    started = time.monotonic()
    statuses = burst(calls)
    seconds = time.monotonic() - started
    print(  # noqa: T201
        f"\n{ENGINE}: {len(calls)} concurrent requests in {seconds:.1f} s: {dict(Counter(statuses))}"
    )
    assert all(s < 500 for s in statuses), Counter(statuses)
    assert served.errors_logged() == []

    args = {
        "round": pulse["round"], "check": quiz["check"],
        "leads": [lid for lid, *_ in leads] + [lid for lid, *_ in targets["reassign"]],
    }  # fmt: skip
    got = site.script(RESULTS, json.dumps(args))
    # Pulse: one row per rep, holding one of the scores that rep sent.
    assert all(status == 302 for _, status in record["pulse"])
    assert {e: got["pulse_rows"].get(e) for e in pulse_reps} == {e: 1 for e in pulse_reps}
    for email in pulse_reps:
        assert got["pulse"][email][0] in scores[email]
    # Knowledge check: each accepted submission is one submitted attempt (a double click
    # is refused, or counts as the rep's next attempt), none left half-open.
    assert {s for _, s in record["quiz"]} <= {302, 400, 409}
    accepted = Counter(email for email, s in record["quiz"] if s == 302)
    assert {e: got["attempts"].get(e) for e in quiz_reps} == dict(accepted)
    assert set(accepted) == set(quiz_reps)
    assert not set(got["open_attempts"]) & set(quiz_reps)
    # Fifty touches on one lead: each stored once; the first touch is the earliest.
    lead = got["leads"][str(lead_id)]
    assert (
        sum(lead["touches"].values())
        == SAME_LEAD_TOUCHES
        == sum(s == 302 for _, s in record["same"])
    )
    assert lead["first_touch_at"] == lead["earliest"] and lead["status"] == "working"
    for lid, _ in spread:
        assert got["leads"][str(lid)]["touches"] and got["leads"][str(lid)]["status"] == "working"
        assert got["leads"][str(lid)]["first_touch_at"] == got["leads"][str(lid)]["earliest"]
    # A touch never undoes a leader's reassignment, nor a rep's rejection.
    moved_to = site.script(
        "from lockstep.orgs.models import Membership\n"
        "print(json.dumps({str(m.pk): m.user.email for m in Membership.objects.filter("
        "pk__in=json.loads(sys.argv[1])).select_related('user')}))",
        json.dumps([to for *_, to in targets["reassign"]]),
    )
    accepted_touch = Counter(lid for lid, s in record["race-touch"] if s == 302)
    for lid, email, to in targets["reassign"]:
        state = got["leads"][str(lid)]
        assert state["rep"] == moved_to[str(to)], (lid, state)
        assert state["touches"].get(email, 0) == accepted_touch[lid]
    assert {s for _, s in record["reassign"]} == {302}
    for lid, _ in rejected_while_touched:
        state = got["leads"][str(lid)]
        assert state["status"] == "rejected" and state["reason"] == targets["reason"], state
        assert state["rejected_events"] == 1
    # The same lead rejected twice at once: rejected once.
    for lid, _ in doubles:
        state = got["leads"][str(lid)]
        assert state["status"] == "rejected" and state["rejected_events"] == 1, state
    assert {s for _, s in record["double"]} == {302}


def test_two_imports_of_the_same_file_at_once(served: Served) -> None:
    site = served.site
    people = crm_people(site)
    path = site.data_dir / "twice.csv"
    write_leads(path, 3000, people["owners"], people["campaigns"], "TWICE")
    command = ("import", "leads", str(path), "--org", "demo", "--preset", "salesforce")
    first, second = (site.start(*command, log=f"twice-{i}.log") for i in range(2))
    codes = [first.wait(timeout=180), second.wait(timeout=180)]
    logs = site.log("twice-0.log") + site.log("twice-1.log")
    assert codes == [0, 0], logs[-3000:]
    assert "database is locked" not in logs and "Traceback" not in logs
    count = "SELECT COUNT(*) FROM results_lead WHERE external_id LIKE %s"
    assert site.sql(count, "TWICE%")[0][0] == 3000


def test_web_writes_while_a_large_import_runs(served: Served) -> None:
    site, port = served.site, served.port
    people = crm_people(site)
    path = site.data_dir / "large.csv"
    write_leads(path, 40_000, people["owners"], people["campaigns"], "LARGE")
    pulse = site.script(TARGETS, "0", "0")["pulse"]
    cookie = sessions(site, pulse["reps"][:60])
    importer = site.start(
        "import", "leads", str(path), "--org", "demo", "--preset", "salesforce", log="large.log"
    )
    statuses: list[int] = []
    stop = threading.Event()
    emails = list(cookie)

    def write() -> None:
        while not stop.is_set() and importer.poll() is None:
            statuses.append(answer_pulse(port, pulse["program"], cookie[random.choice(emails)], 3))

    writers = [threading.Thread(target=write) for _ in range(4)]
    for writer in writers:
        writer.start()
    try:
        code = importer.wait(timeout=300)
    finally:
        stop.set()
        for writer in writers:
            writer.join()
    print(f"\n{ENGINE}: {len(statuses)} web writes during a 40,000-row import: {Counter(statuses)}")
    assert code == 0, site.log("large.log")[-3000:]
    assert statuses and set(statuses) == {302}, Counter(statuses)
    assert served.errors_logged() == []
