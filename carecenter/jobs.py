"""The scheduled jobs: what each does, the record of its last run, and the hourly
catch-up that runs what is due and not done.

* Apps **register** their scheduled tasks with ``register_job`` (a label and a
  description, both translated, for the administrator's jobs page and the README)
  and, for work that must not be missed, a **catch-up**: a function that looks at
  the database, does what is due and not done (an issuance missing for a
  station-month, a grant past its date and not expired, figures older than their
  schedule), and returns what it did. The apps register from their ``ready()``,
  so this core module never imports them (STYLE.md §13).
* ``carecenter.catch_up`` (beat, every hour at minute 30, and once when beat
  starts) runs every catch-up. A lost message, a worker killed before it
  acknowledged, or a machine that was off when a job was due therefore costs at
  most an hour. Every catch-up is idempotent because the jobs are.
* Every task run is recorded in ``JobStatus`` by the Celery signals below (start,
  success, failure), and beat writes its own heartbeat there (``carecenter.beat``);
  ``/healthz`` and the administrator's pages read them.
"""

from __future__ import annotations

import datetime
import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from celery import signals
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from carecenter.models import JobState, JobStatus

log = logging.getLogger("carecenter.jobs")

#: The ``JobStatus`` row of the beat scheduler's heartbeat.
BEAT = "beat"
#: Beat writes its heartbeat at most this often; older than ``BEAT_LATE`` is late.
BEAT_HEARTBEAT = datetime.timedelta(minutes=1)
BEAT_LATE = datetime.timedelta(minutes=5)


@dataclass(frozen=True)
class Job:
    task: str
    label: object  # lazily translated
    description: object
    catch_up: Callable[[datetime.datetime], dict | None] | None = None
    order: int = 100


_jobs: dict[str, Job] = {}


def register_job(
    task: str,
    label,
    description,
    *,
    catch_up: Callable[[datetime.datetime], dict | None] | None = None,
    order: int = 100,
) -> None:
    """Describe a scheduled task; ``catch_up(now)`` does what it left undone."""
    _jobs[task] = Job(task, label, description, catch_up, order)


def jobs() -> list[Job]:
    return sorted(_jobs.values(), key=lambda j: (j.order, j.task))


def run_catch_ups(now: datetime.datetime | None = None) -> dict[str, object]:
    """Every registered catch-up, each on its own: one failing does not stop the
    others. Returns ``{task: what it did}`` (``None``: nothing was due)."""
    now = now or timezone.now()
    done: dict[str, object] = {}
    for job in jobs():
        if job.catch_up is None:
            continue
        try:
            done[job.task] = job.catch_up(now)
        except Exception as exc:
            log.exception("catch-up of %s failed", job.task)
            done[job.task] = {"error": f"{exc.__class__.__name__}: {exc}"}
    return done


# --- The record of every run (Celery signals) -------------------------------------


def _record(task: str, **fields) -> None:
    """Upsert the task's row outside any transaction of the task itself."""
    if connection.in_atomic_block:  # an eager task inside a caller's transaction
        with transaction.atomic():
            _write(task, fields)
    else:
        _write(task, fields)


def _write(task: str, fields: dict) -> None:
    runs = fields.pop("_count", False)
    updated = JobStatus.objects.filter(task=task).update(
        **fields, **({"runs": F("runs") + 1} if runs else {})
    )
    if not updated:
        JobStatus.objects.get_or_create(
            task=task, defaults={**fields, "runs": 1 if runs else 0}
        )


@signals.task_prerun.connect(dispatch_uid="carecenter.jobs.started")
def _started(sender=None, task=None, **kwargs) -> None:
    try:
        _record(
            task.name,
            state=JobState.RUNNING,
            started_at=timezone.now(),
            error="",
            _count=True,
        )
    except Exception:
        log.exception("could not record the start of %s", getattr(task, "name", "?"))


@signals.task_success.connect(dispatch_uid="carecenter.jobs.succeeded")
def _succeeded(sender=None, result=None, **kwargs) -> None:
    now = timezone.now()
    summary = result if isinstance(result, dict | list | int | str) else None
    try:
        _record(
            sender.name,
            state=JobState.SUCCEEDED,
            finished_at=now,
            succeeded_at=now,
            summary=summary,
        )
    except Exception:
        log.exception("could not record the end of %s", sender.name)


@signals.task_failure.connect(dispatch_uid="carecenter.jobs.failed")
def _failed(sender=None, exception=None, einfo=None, **kwargs) -> None:
    text = "".join(traceback.format_exception_only(type(exception), exception))
    try:
        _record(
            sender.name,
            state=JobState.FAILED,
            finished_at=timezone.now(),
            error=text.strip()[:2000],
        )
    except Exception:
        log.exception("could not record the failure of %s", sender.name)


def beat_heartbeat(*, started: bool = False) -> None:
    """Beat is alive: called by the scheduler at start and about once a minute."""
    now = timezone.now()
    fields = {"state": JobState.RUNNING, "finished_at": now, "succeeded_at": now}
    if started:
        fields["started_at"] = now
    _record(BEAT, **fields)


@dataclass(frozen=True)
class BeatState:
    status: str  # ok, late, never
    last: datetime.datetime | None


def beat_state(now: datetime.datetime | None = None) -> BeatState:
    now = now or timezone.now()
    last = (
        JobStatus.objects.filter(task=BEAT)
        .values_list("finished_at", flat=True)
        .first()
    )
    if last is None:
        return BeatState("never", None)
    return BeatState("ok" if now - last <= BEAT_LATE else "late", last)
