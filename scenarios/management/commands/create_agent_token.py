"""manage.py create_agent_token: issue the token a remote agent delivers results with."""

import socket
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.text import slugify

from scenarios.models import Agent, Location


class Command(BaseCommand):
    help = (
        "Create (or re-key) the agent NAME in LOCATION and print a new token for it. Only the "
        "token's hash is stored: a previous token of that agent stops working. Start the remote "
        "agent with PERFITE_SERVER_URL=https://<this server> PERFITE_AGENT_TOKEN=<token> "
        "manage.py agent --location LOCATION --name NAME."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--location", required=True, help="location name, e.g. us-east")
        parser.add_argument("--label", default="", help="human label when creating the location")
        parser.add_argument(
            "--name", default="", help="agent name (default <location>@<this hostname>)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["location"]
        if slugify(name) != name:
            raise CommandError(f"--location must be a slug (letters, digits, -, _): {name!r}")
        location, _ = Location.objects.get_or_create(
            name=name, defaults={"label": options["label"]}
        )
        agent_name = options["name"] or f"{name}@{socket.gethostname()}"
        agent, created = Agent.objects.get_or_create(
            name=agent_name, defaults={"location": location}
        )
        if agent.location_id != location.pk:
            raise CommandError(
                f"agent {agent_name!r} belongs to location {agent.location.name!r}, "
                f"not {name!r}: choose another --name"
            )
        if agent.revoked:
            agent.revoked = False
            agent.save(update_fields=["revoked"])
        token = agent.issue_token()
        verb = "created" if created else "re-keyed"
        self.stderr.write(f"{verb} agent {agent_name} in location {name}; its token:")
        self.stdout.write(token)
