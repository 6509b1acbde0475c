from celery import shared_task

from carecenter import jobs


class CatchUpFailed(RuntimeError):
    """One or more catch-ups failed (the others ran); recorded as the job's error."""


@shared_task(name="carecenter.ping")
def ping() -> str:
    """A no-op that a worker answers: proves the task pipeline works end to end."""
    return "pong"


@shared_task(name="carecenter.purge_access_log")
def purge_access_log() -> int:
    """Nightly: remove access-log entries past ``ACCESS_LOG_RETENTION_DAYS``.

    Idempotent: a second run finds nothing older than the cutoff.
    """
    from carecenter import access_log

    return access_log.purge()


@shared_task(name="carecenter.catch_up")
def catch_up() -> dict:
    """Run what is due and not done (``carecenter.jobs``); safe at any time.

    Every catch-up runs even when another fails; the task then fails naming them,
    so the administrator sees it (``JobStatus``, the home page's alerts).
    """
    done = {task: result for task, result in jobs.run_catch_ups().items() if result}
    failed = {
        task: result["error"]
        for task, result in done.items()
        if isinstance(result, dict) and "error" in result
    }
    if failed:
        raise CatchUpFailed("; ".join(f"{t}: {e}" for t, e in failed.items()))
    return done
