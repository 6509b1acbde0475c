"""The kept contact obligations: the triggers that follow every contact, the
first fill by the one rule, and the nightly re-store just after midnight."""

from django.conf import settings
from django.db import migrations

NAME = "care: nightly contact obligations"


def install_triggers(apps, schema_editor):
    # The functions' text lives beside the rule (care/cadence.py), with the
    # project's TIME_ZONE; post_migrate installs them again if it changes.
    from care import cadence

    schema_editor.execute(cadence.triggers_sql(settings.TIME_ZONE))
    schema_editor.execute(cadence.TRIGGERS)


def drop_triggers(apps, schema_editor):
    from care import cadence

    schema_editor.execute(cadence.DROP_TRIGGERS)


def fill(apps, schema_editor):
    # The rule lives in one module only (care/cadence.py); the fill is its
    # set-based store of every elder, one statement.
    from care import cadence

    cadence.obligations_store_all()


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="1",
        hour="0",
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone=settings.TIME_ZONE,
    )
    PeriodicTask.objects.update_or_create(
        name=NAME,
        defaults={
            "task": "care.obligations_nightly",
            "crontab": crontab,
            "enabled": True,
        },
    )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0004_obligation"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(install_triggers, drop_triggers),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(add_schedule, remove_schedule),
    ]
