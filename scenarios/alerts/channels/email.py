"""The e-mail kind: the message's subject and text through Django's mail backend."""

from django.conf import settings
from django.core.mail import send_mail

from scenarios.alerts.channels.base import ChannelError, Message
from scenarios.models import Channel


def send(channel: Channel, message: Message) -> None:
    """Mail every comma-separated address of the channel's target; ChannelError when none.

    Mail backend failures (SMTP errors are OSErrors) propagate to the dispatcher.
    """
    recipients = [a.strip() for a in channel.target.split(",") if a.strip()]
    if not recipients:
        raise ChannelError("no e-mail address configured")
    send_mail(
        message.subject, message.text, settings.DEFAULT_FROM_EMAIL, recipients, fail_silently=False
    )
