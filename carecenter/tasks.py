from celery import shared_task

from carecenter import jobs


@shared_task(name="carecenter.ping")
def ping() -> str:
    """A no-op that a worker answers: proves the task pipeline works end to end."""
    return "pong"


@shared_task(name="carecenter.catch_up")
def catch_up() -> dict:
    """Run what is due and not done (``carecenter.jobs``); safe at any time."""
    return {task: done for task, done in jobs.run_catch_ups().items() if done}
