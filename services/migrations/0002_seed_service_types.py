"""The service catalogue: every code of ``carecenter.catalogue.ServiceKind`` with
names in both languages, a unit and a default price (editable in the admin).

The codes are copied here, not imported, so the migration stays as it was written.
Re-running it never overwrites what the administrator changed.
"""

from decimal import Decimal

from django.db import migrations

CATALOGUE = [
    # code, Chinese name, English name, unit, default price
    ("meal", "助餐", "Meal help", "meal", "12.00"),
    ("meal_delivery", "送餐", "Meal delivery", "meal", "15.00"),
    ("cleaning", "助洁", "Cleaning", "hour", "40.00"),
    ("bathing", "助浴", "Bathing", "visit", "60.00"),
    ("medical", "助医", "Medical help", "visit", "50.00"),
    ("mobility", "助行", "Mobility help", "hour", "35.00"),
    ("emergency", "助急", "Emergency help", "visit", "30.00"),
    ("day_care", "托老", "Day care", "hour", "20.00"),
    ("housekeeping", "家政服务", "Housekeeping", "hour", "45.00"),
    ("health_check", "健康检测（血压、血糖）", "Health check (blood pressure, sugar)", "visit", "10.00"),
    ("rehab", "康复护理", "Rehabilitation", "hour", "80.00"),
    ("chat", "精神慰藉与陪聊", "Spiritual comfort and chat", "hour", "25.00"),
    ("counselling", "心理疏导", "Psychological counselling", "hour", "100.00"),
    ("errands", "代购代办", "Errands and purchasing", "visit", "20.00"),
    ("legal_aid", "法律援助", "Legal aid", "visit", "0.00"),
    ("culture", "文体活动", "Cultural and sports activities", "visit", "0.00"),
    ("repair", "水电维修", "Plumbing and electrical repair", "visit", "50.00"),
]


def seed(apps, schema_editor):
    ServiceType = apps.get_model("services", "ServiceType")
    for code, name_zh, name_en, unit, price in CATALOGUE:
        ServiceType.objects.get_or_create(
            code=code,
            defaults={
                "name_zh": name_zh,
                "name_en": name_en,
                "unit": unit,
                "default_price": Decimal(price),
                "active": True,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
