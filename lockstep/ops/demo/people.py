"""Demo step "people": regions, teams, leaders, reps, marketers, an owner and a viewer."""

from __future__ import annotations

import random

from lockstep.accounts.models import User
from lockstep.accounts.passwords import demo_password_hash
from lockstep.core.permissions import Role
from lockstep.ops.demo.base import DEMO_SLUG
from lockstep.orgs.models import Channel, Membership, Organization, Team

ORG_NAME = "Northwind Analytics"
REGIONS = [
    ("North America East", "America/New_York", ["New York", "Boston", "Toronto"]),
    ("North America West", "America/Los_Angeles", ["San Francisco", "Seattle", "Denver"]),
    ("EMEA North", "Europe/London", ["London", "Amsterdam", "Stockholm"]),
    ("EMEA South", "Europe/Paris", ["Paris", "Madrid", "Milan"]),
    ("APAC", "Asia/Singapore", ["Singapore", "Sydney", "Tokyo"]),
]
PARTNERS = [
    "Brightline Resellers",
    "Cobalt Channel Partners",
    "Meridian Distribution",
    "Summit IT Solutions",
    "Harbor Systems",
    "Atlas Integrators",
    "Pinnacle VAR",
    "Lumen Partners",
    "Vertex Distribution",
    "Keystone Solutions",
]
FIRST = [
    "Aisha",
    "Ben",
    "Carla",
    "Daniel",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kemi",
    "Liam",
    "Maya",
    "Noah",
    "Olga",
    "Priya",
    "Quentin",
    "Rosa",
    "Sam",
    "Tara",
    "Umar",
    "Vera",
    "Wei",
    "Ximena",
    "Yusuf",
    "Zoe",
    "Anders",
    "Bianca",
    "Chidi",
    "Dana",
    "Emil",
    "Fatima",
    "Gabriel",
    "Hannah",
    "Ivan",
    "Julia",
    "Kai",
    "Lucia",
    "Mateo",
    "Nina",
]
LAST = [
    "Adeyemi",
    "Bauer",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Hansen",
    "Ito",
    "Jensen",
    "Kowalski",
    "Larsen",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Walsh",
    "Xu",
    "Yilmaz",
    "Zhang",
    "Andersson",
    "Brennan",
    "Chen",
    "Duarte",
    "Evans",
    "Ferreira",
    "Gupta",
    "Horvat",
    "Ibrahim",
    "Kim",
    "Lopez",
    "Murphy",
    "Novak",
    "O'Brien",
]
NAMED = [
    ("owner@demo.example", "Olivia", "Hart", Role.OWNER),
    ("marketer@demo.example", "Marcus", "Lind", Role.MARKETER),
    ("viewer@demo.example", "Victor", "Sand", Role.VIEWER),
]
MORE_MARKETERS = [("Sofia", "Reyes"), ("Tom", "Becker"), ("Ana", "Costa")]


class People:
    def __init__(self, org: Organization, rng: random.Random) -> None:
        self.org, self.rng = org, rng
        # One hash for all (a public password), by the hasher that only works in the demo.
        self.password = demo_password_hash()
        self.used: set[str] = set()

    def user(self, email: str | None = None, first: str = "", last: str = "") -> User:
        while not (first and last) or email is None and self._email(first, last) in self.used:
            first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        email = email or self._email(first, last)
        self.used.add(email)
        return User.objects.create(
            email=email, first_name=first, last_name=last, password=self.password
        )

    def _email(self, first: str, last: str) -> str:
        slug = "".join(ch for ch in f"{first}.{last}".lower() if ch.isalnum() or ch == ".")
        return f"{slug}@demo.example"

    def member(self, user: User, role: str, team: Team | None = None) -> Membership:
        return Membership.objects.create(org=self.org, user=user, role=role, team=team)


def load_people(org: Organization | None) -> Organization:
    rng = random.Random(20261129)  # noqa: S311 — deterministic demo data, not security
    org = org or Organization.objects.create(
        name=ORG_NAME,
        slug=DEMO_SLUG,
        time_zone="Europe/London",
        required_asset_kinds=["brief", "talk_track", "faq", "battlecard"],
    )
    people = People(org, rng)
    for email, first, last, role in NAMED:
        people.member(people.user(email, first, last), role)
    for first, last in MORE_MARKETERS:
        people.member(people.user(None, first, last), Role.MARKETER)
    partners = iter(PARTNERS)
    first_region = True
    for region_name, _tz, cities in REGIONS:
        region = Team.objects.create(org=org, name=region_name, channel=Channel.DIRECT)
        vp = people.member(people.user(), Role.SALES_LEADER)
        vp.led_teams.add(region)
        teams = [
            (f"{cities[0]} Enterprise", Channel.DIRECT),
            (f"{cities[1]} Mid-Market", Channel.DIRECT),
            (f"{region_name} Inside Sales", Channel.INSIDE_SALES),
            (
                f"{cities[2]} Commercial",
                Channel.DIRECT if len(cities[2]) % 2 else Channel.INSIDE_SALES,
            ),
            (next(partners), Channel.PARTNER),
            (next(partners), Channel.PARTNER),
        ]
        for index, (name, channel) in enumerate(teams):
            team = Team.objects.create(org=org, name=name, parent=region, channel=channel)
            named_leader = first_region and index == 0
            leader_user = (
                people.user("leader@demo.example", "Lena", "Brooks")
                if named_leader
                else people.user()
            )
            leader = people.member(leader_user, Role.SALES_LEADER)
            leader.led_teams.add(team)
            size = rng.randint(6, 8) if channel == Channel.PARTNER else rng.randint(8, 13)
            role = Role.PARTNER_REP if channel == Channel.PARTNER else Role.REP
            for n in range(size):
                if first_region and n == 0 and index == 0:
                    user = people.user("rep@demo.example", "Ravi", "Patel")
                elif first_region and n == 0 and channel == Channel.PARTNER:
                    user = people.user("partner@demo.example", "Paula", "Ng")
                    first_region = False
                else:
                    user = people.user()
                people.member(user, role, team)
    return org
