"""Today's tier kept on every elder, filled once by the one rule, and the nightly
run that keeps it true as birthdays and residence anniversaries pass (00:05)."""

from django.db import migrations

NAME = "elders: nightly tiers"


def fill(apps, schema_editor):
    # The rule lives in one module only (elders/eligibility.py); the fill is its
    # set-based rewrite of every elder, one UPDATE.
    from elders import eligibility

    eligibility.tiers_store_all()


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="5",
        hour="0",
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={"task": "elders.tiers_nightly", "crontab": crontab, "enabled": True},
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("elders", "0005_kept_tier"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(add_schedule, remove_schedule),
    ]
