"""manage.py seed_demo: a local location, a demo scenario on the bundled demo site, an admin."""

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser

from scenarios.models import Location, Scenario

DEMO_JOURNEY = """\
Given I open "/search"
When I fill "#q" with "shoes"
And I start measuring "search"
And I click "#search"
Then I wait for "#results li"
And I stop measuring "search"
"""


class Command(BaseCommand):
    help = "Create the 'local' location, two demo scenarios on the demo site and an admin user."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--demo-port", type=int, default=8123)
        parser.add_argument("--location", default="local")
        parser.add_argument(
            "--admin", default="admin", help="admin user name to create ('' for none)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        location, _ = Location.objects.get_or_create(
            name=options["location"], defaults={"label": "This machine"}
        )
        base = f"http://www.example.localhost:{options['demo_port']}"
        home, created = Scenario.objects.get_or_create(
            slug="demo-home",
            defaults={"name": "Demo home page", "url": base + "/", "frequency_minutes": 1},
        )
        journey, journey_created = Scenario.objects.get_or_create(
            slug="demo-search",
            defaults={
                "name": "Demo search journey",
                "url": base + "/",
                "script_format": Scenario.FORMAT_GHERKIN,
                "script": DEMO_JOURNEY,
                "frequency_minutes": 2,
            },
        )
        for scenario, new in ((home, created), (journey, journey_created)):
            if new:  # one kept from an earlier seed (maybe another demo port) stays as it is
                scenario.full_clean()
                scenario.save()
            scenario.locations.add(location)
        if created:
            self.stdout.write(f"demo scenarios on {base}/ in location {location.name}")
        password = ensure_admin(options["admin"]) if options["admin"] else None
        if password:
            self.stdout.write(f"admin user: {options['admin']}  password: {password}")


def ensure_admin(username: str) -> str | None:
    """Create superuser ``username`` with a random password and return it; None if it exists."""
    user_model = get_user_model()
    if user_model.objects.filter(username=username).exists():
        return None
    password = secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username, "", password)
    return password
