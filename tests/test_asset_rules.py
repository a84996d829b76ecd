"""Big organizations, the kit: an expired asset is never offered to partners (pages and
API), and a partner-visible link to an internal address is a readiness finding."""

from __future__ import annotations

import datetime as dt

import pytest

from lockstep.accounts.services import create_token
from lockstep.programs import services
from lockstep.programs.inputs import AssetInput
from lockstep.programs.models import ProgramStatus
from lockstep.programs.readiness import Question, internal_host
from lockstep.programs.selectors import program_readiness
from tests.conftest import World
from tests.scenarios import TODAY, make_program


def kit(world: World) -> tuple[object, object, object]:
    program = make_program(world, status=ProgramStatus.LIVE)

    def add(title: str, expires: dt.date | None) -> object:
        return services.add_asset(
            program=program, acting_user=world.marketer,
            data=AssetInput(kind="brief", title=title, url=f"https://kit.example/{title}",
                            partner_visible=True, expires_on=expires),
        )  # fmt: skip

    current = add("Current", TODAY)  # expires at the end of today: still valid
    expired = add("Stale", TODAY - dt.timedelta(days=1))
    return program, current, expired


def test_partners_are_not_offered_expired_assets(world: World) -> None:
    program, current, expired = kit(world)
    base = f"/o/acme/programs/{program.pk}"  # type: ignore[attr-defined]
    partner = world.client(world.partner)
    body = partner.get(f"{base}/brief/").content.decode()
    assert "Current" in body and "Stale" not in body
    assert partner.get(f"{base}/assets/{expired.pk}/open/").status_code == 404  # type: ignore[attr-defined]
    assert partner.get(f"{base}/assets/{current.pk}/open/").status_code == 302  # type: ignore[attr-defined]
    # internal reps still see it (the program page flags it for marketing)
    assert "Stale" in world.client(world.rep).get(f"{base}/brief/").content.decode()


def test_partners_are_not_offered_expired_assets_in_the_api(world: World) -> None:
    program, _, expired = kit(world)
    _, token = create_token(membership=world.membership(world.partner), name="t")
    headers = {"Authorization": f"Bearer {token}"}
    client = world.client(None)
    base = f"/api/v1/programs/{program.pk}"  # type: ignore[attr-defined]
    titles = [a["title"] for a in client.get(f"{base}/assets", headers=headers).json()["items"]]
    assert titles == ["Current"]
    one = client.get(f"{base}/assets/{expired.pk}", headers=headers)  # type: ignore[attr-defined]
    assert one.status_code == 404 and one["Content-Type"] == "application/problem+json"
    brief = client.get(f"{base}/brief", headers=headers).json()
    assert "Stale" not in str(brief)


@pytest.mark.parametrize(
    ("url", "internal"),
    [
        ("https://intranet/kit.pdf", "intranet"),
        ("http://localhost:8000/x", "localhost"),
        ("https://10.1.2.3/deck", "10.1.2.3"),
        ("https://192.168.0.10/deck", "192.168.0.10"),
        ("https://[fd00::1]/deck", "fd00::1"),
        ("https://wiki.acme.local/page", "wiki.acme.local"),
        ("https://docs.corp/x", "docs.corp"),
        ("https://acme.sharepoint.com/sites/sales/deck.pptx", "acme.sharepoint.com"),
        ("https://intranet.acme.com/kit", "intranet.acme.com"),
        ("https://kit.example/brief", None),
        ("https://www.acme.com/partners/brief.pdf", None),
        ("https://8.8.8.8/x", None),
        ("not a url", None),
    ],
)
def test_what_counts_as_an_internal_link(url: str, internal: str | None) -> None:
    assert internal_host(url) == internal


def test_a_partner_visible_internal_link_is_a_readiness_finding(world: World) -> None:
    program = make_program(world)
    services.add_asset(
        program=program, acting_user=world.marketer,
        data=AssetInput(kind="brief", title="Partner deck", partner_visible=True,
                        url="https://acme.sharepoint.com/sites/sales/deck.pptx"),
    )  # fmt: skip
    services.add_asset(
        program=program, acting_user=world.marketer,
        data=AssetInput(kind="battlecard", title="Internal card", partner_visible=False,
                        url="https://intranet/card"),
    )  # fmt: skip
    findings = [
        f.message for f in program_readiness(program).findings if f.question == Question.KIT
    ]
    internal = [m for m in findings if "internal address" in m]
    assert internal == [
        "The brief / one-pager “Partner deck” is partner-visible but links to an internal "
        "address (acme.sharepoint.com) partners cannot open: upload the file or link to a "
        "public copy."
    ]
    page = world.client(world.marketer).get(f"/o/acme/programs/{program.pk}/").content.decode()
    assert "links to an internal address (acme.sharepoint.com)" in page
