from celery import shared_task


@shared_task(name="carecenter.ping")
def ping() -> str:
    """A no-op that a worker answers: proves the task pipeline works end to end."""
    return "pong"
