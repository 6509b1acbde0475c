"""The beat schedule of the vouchers app, kept in django-celery-beat's tables.

Issuance on the 1st of each month at 01:00 and expiry every night at 00:10, both
in Asia/Shanghai time.
"""

from django.db import migrations

SCHEDULE = [
    # name, task, crontab (minute, hour, day of month)
    ("vouchers: monthly issuance", "vouchers.issue_monthly", ("0", "1", "1")),
    ("vouchers: nightly expiry", "vouchers.expire", ("10", "0", "*")),
]


def add_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, (minute, hour, day) in SCHEDULE:
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=minute,
            hour=hour,
            day_of_month=day,
            month_of_year="*",
            day_of_week="*",
            timezone="Asia/Shanghai",
        )
        PeriodicTask.objects.update_or_create(
            name=name, defaults={"task": task, "crontab": crontab, "enabled": True}
        )


def remove_schedule(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, _t, _c in SCHEDULE]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("vouchers", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(add_schedule, remove_schedule)]
