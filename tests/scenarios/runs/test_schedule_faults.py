"""A schedule that cannot be computed is refused when saved and isolated when dispatched."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from scenarios.models import Location, Run, Scenario
from scenarios.runs.dispatch import dispatch_due

NEVER = "0 0 30 2 *"  # valid syntax, but February never has a 30th


def test_a_cron_that_never_fires_is_refused_with_the_reason(db: None) -> None:
    scenario = Scenario(name="x", slug="x", url="http://www.example.com/", cron=NEVER)
    with pytest.raises(ValidationError) as refused:
        scenario.full_clean()
    assert "this cron expression never fires" in refused.value.message_dict["cron"][0]


def test_one_unschedulable_scenario_is_paused_and_the_others_still_run(db: None) -> None:
    location = Location.objects.create(name="local")
    due = timezone.now() - timedelta(seconds=1)
    good = Scenario.objects.create(name="g", slug="g", url="http://a.example/", next_due_at=due)
    bad = Scenario.objects.create(name="b", slug="b", url="http://a.example/", next_due_at=due)
    Scenario.objects.filter(pk=bad.pk).update(cron=NEVER)  # slipped past validation
    for scenario in (good, bad):
        scenario.locations.add(location)

    with mock.patch("scenarios.runs.dispatch.enqueue_runs"):
        created = dispatch_due()

    assert list(Run.objects.filter(pk__in=created).values_list("scenario__slug", flat=True)) == [
        "g"
    ]
    bad.refresh_from_db()
    assert bad.paused is True
    assert bad.paused_reason.startswith("paused by the scheduler: its schedule cannot be computed")
    bad.cron = ""
    bad.paused = False
    bad.save()
    bad.refresh_from_db()
    assert bad.paused_reason == ""


def test_a_first_party_regex_that_does_not_compile_is_refused(db: None) -> None:
    scenario = Scenario(
        name="x", slug="x", url="http://www.example.com/", first_party=["example.com", "re:([a-z"]
    )
    with pytest.raises(ValidationError) as refused:
        scenario.full_clean()
    assert refused.value.message_dict["first_party"] == [
        "'re:([a-z' is not a valid regular expression: unterminated character set at position 1"
    ]
