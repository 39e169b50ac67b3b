"""Alert delivery tasks: thin wrappers, retry policy on the decorator, and how to queue them.

``scenarios/tasks.py`` imports this module so Celery's autodiscovery registers them.
"""

import logging
from collections.abc import Sequence
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from scenarios.alerts.channels import ChannelError, deliver
from scenarios.models.alerts import Notification

log = logging.getLogger(__name__)


@shared_task(
    name="scenarios.alerts.tasks.notify_incident",
    ignore_result=True,
    autoretry_for=(ChannelError,),
    max_retries=6,
    retry_backoff=30,  # 30 s, 60 s, 120 s … capped below: about half an hour in all
    retry_backoff_max=600,
    retry_jitter=True,
)
def notify_incident(notification_id: int) -> bool:
    """Deliver Notification ``notification_id``; True when sent now, False when nothing to do.

    Raises ChannelError on failure (after recording it on the notification and its channel),
    which Celery retries with backoff. A notification already sent, deleted, or whose channel
    was disabled meanwhile is skipped.
    """
    note = (
        Notification.objects.select_related(
            "channel", "incident__threshold__scenario", "incident__location"
        )
        .filter(pk=notification_id)
        .first()
    )
    if note is None or note.sent_at is not None or not note.channel.enabled:
        return False
    deliver(note)
    return True


def queue_notifications(ids: Sequence[int]) -> None:
    """Send ``notify_incident`` for each notification; a broker outage is logged, not raised."""
    for note_id in ids:
        try:
            notify_incident.delay(note_id)
        except Exception:
            log.warning("could not queue notification %s; it stays unsent", note_id)


@shared_task(name="scenarios.alerts.tasks.resend_unsent_notifications", ignore_result=True)
def resend_unsent_notifications() -> int:
    """Queue again the notifications never attempted (the broker was down when they were made).

    Picks rows with no attempt, older than two minutes (their task may still be in the queue)
    and younger than a day (older news is better left in the incident history). Returns how
    many were queued. Run by beat every few minutes.
    """
    now = timezone.now()
    ids = list(
        Notification.objects.filter(
            sent_at__isnull=True,
            attempts=0,
            created_at__lt=now - timedelta(minutes=2),
            created_at__gte=now - timedelta(days=1),
        ).values_list("id", flat=True)
    )
    queue_notifications(ids)
    return len(ids)
