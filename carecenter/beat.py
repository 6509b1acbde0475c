"""The beat scheduler: django-celery-beat's database scheduler, which also writes
a heartbeat (``/healthz``, the administrator's jobs page) and sends the hourly
catch-up once as it starts, so that a machine that was off when a job was due
catches up at once instead of at the next half hour.

Exactly one beat per deployment (``CELERY_BEAT_SCHEDULER``).
"""

from __future__ import annotations

import logging
import time

from django_celery_beat.schedulers import DatabaseScheduler

from carecenter import jobs

log = logging.getLogger("carecenter.jobs")


class Scheduler(DatabaseScheduler):
    _last_heartbeat = 0.0

    def setup_schedule(self):
        super().setup_schedule()
        self._heartbeat(started=True)
        self.app.send_task("carecenter.catch_up")
        log.info("beat started: catch-up sent")

    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        if time.monotonic() - self._last_heartbeat >= (
            jobs.BEAT_HEARTBEAT.total_seconds()
        ):
            self._heartbeat()
        # Wake up in time for the next heartbeat even when nothing is due.
        return min(interval, jobs.BEAT_HEARTBEAT.total_seconds())

    def _heartbeat(self, *, started: bool = False) -> None:
        try:
            jobs.beat_heartbeat(started=started)
        except Exception:
            log.exception("beat heartbeat not written")
        self._last_heartbeat = time.monotonic()
