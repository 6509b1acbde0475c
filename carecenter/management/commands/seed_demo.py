"""Demo data: district DEMO, stations DEMO-A and DEMO-B, and the six demo users.

Safe to run twice: every row is found by its natural key and updated in place.
Feature apps add their own demo data through ``seed_demo_steps`` in this module.
"""

from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext

from carecenter.actions import role_grant
from carecenter.audit import audit_context
from carecenter.commands import LocalizedCommand
from carecenter.models import District, LeadingGroupMember, Role, Station, User

DEFAULT_PASSWORD = "carecenter-demo"

STATIONS = [
    {
        "code": "DEMO-A",
        "name": "幸福里社区居家养老服务站",
        "kind": "community",
        "address": "示范区幸福路 18 号",
        "service_phone": "0571-8888 1001",
        "building_area": Decimal("360.0"),
        "has_day_care_room": True,
        "has_pantry": True,
        "has_medical_room": True,
        "has_entertainment_room": True,
        "has_studio": True,
        "has_outdoor_fitness": True,
        "has_catering_hygiene_certificate": True,
        "public_welfare_posts": 4,
        "leading_group": [
            ("张建国", "leader", "社区居委会主任", "138 0000 1001"),
            ("李秀英", "deputy", "民政委员", "138 0000 1002"),
            ("王志强", "member", "居民组长", "138 0000 1003"),
        ],
    },
    {
        "code": "DEMO-B",
        "name": "桃源村居家养老服务站",
        "kind": "village",
        "address": "示范区桃源村村委会东侧",
        "service_phone": "0571-8888 2002",
        "building_area": Decimal("240.0"),
        "has_day_care_room": True,
        "has_pantry": True,
        "has_medical_room": False,
        "has_entertainment_room": True,
        "has_studio": False,
        "has_outdoor_fitness": True,
        "has_catering_hygiene_certificate": False,
        "public_welfare_posts": 2,
        "leading_group": [
            ("陈德明", "leader", "村委会主任", "139 0000 2001"),
            ("刘桂兰", "member", "妇女主任", "139 0000 2002"),
        ],
    },
]

# username, first name, last name, role, station code (None: the district)
USERS = [
    ("admin", "管理员", "", Role.ADMINISTRATOR, None),
    ("supervisor", "督导", "周", Role.SUPERVISOR, None),
    ("manager_a", "站长", "赵", Role.MANAGER, "DEMO-A"),
    ("staff_a", "工作人员", "孙", Role.STAFF, "DEMO-A"),
    ("staff_b", "工作人员", "吴", Role.STAFF, "DEMO-B"),
    ("volunteer_a", "志愿者", "郑", Role.VOLUNTEER, "DEMO-A"),
]

#: Later apps append callables ``step(command, stations, users)``: the stations
#: and users by code and username.
seed_demo_steps: list = []


class Command(LocalizedCommand):
    help = "Create or refresh the demo district, stations, users and data."

    def add_arguments(self, parser):
        parser.add_argument(
            "--password", default=DEFAULT_PASSWORD, help="password of every demo user"
        )

    @transaction.atomic
    def handle(self, *args, password, **options):
        with audit_context(reason="demo_data"):
            district, _ = District.objects.update_or_create(
                code="DEMO", defaults={"name": "示范区"}
            )
            stations = {}
            for spec in STATIONS:
                spec = dict(spec)
                group = spec.pop("leading_group")
                station, _ = Station.objects.update_or_create(
                    code=spec.pop("code"), defaults={**spec, "district": district}
                )
                for name, position, title, phone in group:
                    LeadingGroupMember.objects.update_or_create(
                        station=station,
                        name=name,
                        defaults={"position": position, "title": title, "phone": phone},
                    )
                stations[station.code] = station

            users = {}
            for username, first, last, role, code in USERS:
                user, _ = User.objects.update_or_create(
                    username=username,
                    defaults={
                        "first_name": first,
                        "last_name": last,
                        "is_active": True,
                        "is_staff": role == Role.ADMINISTRATOR,
                    },
                )
                user.set_password(password)
                user.save(update_fields=["password"])
                role_grant(
                    actor=None,
                    user=user,
                    role=role,
                    station=stations.get(code) if code else None,
                    district=district if role == Role.SUPERVISOR else None,
                )
                users[username] = user

            for step in seed_demo_steps:
                step(self, stations, users)

        self.stdout.write(
            self.style.SUCCESS(
                gettext(
                    "Demo data ready: district DEMO, stations %(stations)s; users "
                    "%(users)s with password %(password)s"
                )
                % {
                    "stations": ", ".join(stations),
                    "users": ", ".join(users),
                    "password": repr(password),
                }
            )
        )
