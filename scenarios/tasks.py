"""The server's Celery tasks, for autodiscovery: each capability keeps its own task module."""

from scenarios.alerts import tasks as alert_tasks
from scenarios.load import tasks as load_tasks
from scenarios.runs import tasks as run_tasks

__all__ = ["alert_tasks", "load_tasks", "run_tasks"]
