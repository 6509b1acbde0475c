"""The Celery application. Configuration comes from Django settings (``CELERY_*``).

Exactly one ``celery beat`` process may run per deployment: the schedule lives
in the database (django-celery-beat) and two beats would send every task twice.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carecenter.settings")

app = Celery("carecenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
