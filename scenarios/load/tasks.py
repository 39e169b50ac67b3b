"""Beat's watch over running load tests: a thin task over scenarios.load.stages."""

from celery import shared_task

from scenarios.load import stages


@shared_task(name="scenarios.load.tasks.watch_load_tests", ignore_result=True)
def watch_load_tests() -> int:
    """Move every running load test on (or fail it, saying why); returns how many ran."""
    return stages.watch_all()
