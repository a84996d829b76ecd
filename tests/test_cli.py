"""The lockstep command: createorg, demo, serve's refusal, worker, the console script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client, override_settings

from lockstep.accounts.models import User
from lockstep.core.permissions import Role
from lockstep.feedback.models import RepQuestion
from lockstep.insights.funnel import program_funnel
from lockstep.ops.demo.base import DEMO_LOGINS, DEMO_PASSWORD
from lockstep.ops.demo.loader import load_demo
from lockstep.ops.management.commands._serving import gunicorn_command, refuse_demo_passwords
from lockstep.orgs.models import Channel, Membership, Organization, Team
from lockstep.programs.models import PreviewFeedback, Program, ProgramStatus
from lockstep.programs.selectors import program_readiness


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_createorg_prints_a_working_one_time_link() -> None:
    out = run(
        "createorg",
        "--name",
        "Initech",
        "--slug",
        "initech",
        "--owner-email",
        "Boss@Initech.example",
    )
    org = Organization.objects.get(slug="initech")
    assert Membership.objects.get(org=org).role == Role.OWNER
    path = re.search(r"http://127\.0\.0\.1:8000(/accounts/reset/\S+)", out)
    assert path, out
    client = Client()
    form_url = client.get(path.group(1), follow=True).redirect_chain[-1][0]
    client.post(
        form_url, {"new_password1": "initech-secret-1", "new_password2": "initech-secret-1"}
    )
    assert User.objects.get(email="boss@initech.example").check_password("initech-secret-1")
    assert "no longer works" in Client().get(path.group(1), follow=True).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--name", "X", "--slug", "bad slug", "--owner-email", "a@b.example"], "slug"),
        (["--name", "X", "--slug", "ok", "--owner-email", "nope"], "valid email"),
        (["--name", " ", "--slug", "ok", "--owner-email", "a@b.example"], "--name"),
    ],
)
def test_createorg_bad_input(args: list[str], message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("createorg", *args)
    assert not Organization.objects.exists()


@pytest.mark.django_db
def test_createorg_refuses_a_taken_slug() -> None:
    run("createorg", "--name", "A", "--slug", "taken", "--owner-email", "a@b.example")
    with pytest.raises(CommandError, match="already exists"):
        run("createorg", "--name", "B", "--slug", "taken", "--owner-email", "c@d.example")


@pytest.mark.django_db
def test_demo_data_is_realistic_and_loaded_once() -> None:
    org = load_demo(lambda _: None)
    teams = Team.objects.for_org(org)
    reps = Membership.objects.for_org(org).filter(role__in=[Role.REP, Role.PARTNER_REP])
    assert 30 <= teams.count() <= 40
    assert 250 <= reps.count() <= 400
    assert {t.channel for t in teams} == set(Channel.values)
    assert 3 <= Membership.objects.for_org(org).filter(role=Role.MARKETER).count() <= 5
    assert not reps.filter(team__isnull=True).exists()
    for email, _ in DEMO_LOGINS:  # the demo password works in the demo, and only there
        with override_settings(DEMO=True):
            assert User.objects.get(email=email).check_password(DEMO_PASSWORD)
        assert not User.objects.get(email=email).check_password(DEMO_PASSWORD)
    partner_team = Membership.objects.get(user__email="partner@demo.example").team
    assert partner_team is not None and partner_team.channel == Channel.PARTNER
    leader = Membership.objects.get(user__email="leader@demo.example")
    assert leader.led_teams.count() == 1
    programs = Program.objects.for_org(org)
    assert 8 <= programs.count() <= 12
    assert set(programs.values_list("status", flat=True)) == set(ProgramStatus.values)
    scores = {p.status: program_readiness(p).score for p in programs}
    assert scores["draft"] < org.readiness_threshold  # drafts show real findings
    assert PreviewFeedback.objects.filter(program__status="preview").exists()
    atlas = programs.get(name="Atlas 3.0 launch")
    understood = [r.shares["understood"] for r in program_funnel(atlas)["rows"] if r.depth == 1]
    assert max(understood) >= 80 and min(understood) <= 30  # some teams got it, some did not
    assert RepQuestion.objects.filter(program__org=org, answered_at__isnull=True).exists()
    counts = (User.objects.count(), Team.objects.count(), programs.count())
    load_demo(lambda _: None)
    assert (User.objects.count(), Team.objects.count(), programs.count()) == counts


@pytest.mark.django_db
def test_demo_command_refuses_without_debug() -> None:
    with pytest.raises(CommandError, match="debug mode"):
        run("demo", "--no-serve")


@pytest.mark.django_db
@override_settings(DEBUG=True)
def test_demo_command_prints_logins() -> None:
    out = run("demo", "--no-serve")
    for email, _ in DEMO_LOGINS:
        assert email in out
    assert DEMO_PASSWORD in out


@pytest.mark.django_db
def test_serve_refuses_demo_passwords_outside_debug() -> None:
    load_demo(lambda _: None, until="people")
    with pytest.raises(CommandError, match="demo password"):
        refuse_demo_passwords()
    with override_settings(DEBUG=True):
        refuse_demo_passwords()
    for email, _ in DEMO_LOGINS:
        user = User.objects.get(email=email)
        user.set_password("a-real-production-secret")
        user.save()
    # The ~300 other demo people still have it, and the demo organization is still there.
    with pytest.raises(
        CommandError, match=r"accounts accept the public demo password \("
    ) as refused:
        refuse_demo_passwords()
    assert "demo organization" in str(refused.value)
    Organization.objects.filter(slug="demo").update(slug="was-demo")
    with pytest.raises(CommandError, match="demo password"):
        refuse_demo_passwords()
    User.objects.filter(email__endswith="@demo.example").exclude(
        email__in=[e for e, _ in DEMO_LOGINS]
    ).delete()
    refuse_demo_passwords()


def test_serve_uses_gunicorn() -> None:
    command = gunicorn_command("127.0.0.1", 8123, 2)
    assert command[1:3] == ["-m", "gunicorn"] and "127.0.0.1:8123" in command


@pytest.mark.django_db(transaction=True)
def test_worker_runs_queued_tasks_and_exits_in_batch_mode() -> None:
    with override_settings(TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}):
        from lockstep.core.tasks import send_email

        result = send_email.enqueue(["a@b.example"], "Hello", "Body")
        assert result.status == "READY"
        call_command("worker", "--batch", stdout=StringIO(), stderr=StringIO())
        result.refresh()
        assert result.status == "SUCCESSFUL"
    assert len(mail.outbox) == 1


def test_console_script_wraps_manage_commands(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = {
        **os.environ,
        "LOCKSTEP_DATA_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "lockstep.settings",
    }
    env.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-m", "lockstep.cli", "help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    for command in ["demo", "serve", "worker", "createorg", "import", "migrate"]:
        assert command in result.stdout
