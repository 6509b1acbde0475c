from celery import shared_task


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
