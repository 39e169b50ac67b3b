"""Migration 0012: runs from before browsers were chosen are Chromium's, except imported ones;
agents from before announced none (Chromium only); scenarios stay Chromium."""

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("scenarios", "0011_unmeasured_host_numbers")]
AFTER = [("scenarios", "0012_browser")]


@pytest.mark.django_db(transaction=True)
def test_existing_rows_keep_measuring_in_chromium_and_imports_have_no_browser() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old: Any = executor.loader.project_state(BEFORE).apps
    location = old.get_model("scenarios", "Location").objects.create(name="paris")
    scenario = old.get_model("scenarios", "Scenario").objects.create(
        name="Shop", slug="shop", url="http://www.example.com/"
    )
    Run = old.get_model("scenarios", "Run")
    measured = Run.objects.create(scenario=scenario, location=location, kind="scheduled")
    imported = Run.objects.create(scenario=scenario, kind="imported")
    old.get_model("scenarios", "Agent").objects.create(name="paris-1", location=location)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    try:
        executor.migrate(AFTER)
        new: Any = executor.loader.project_state(AFTER).apps
        runs = new.get_model("scenarios", "Run").objects.filter(scenario__slug="shop")
        browsers = dict(runs.values_list("pk", "browser"))
        assert browsers == {measured.pk: "chromium", imported.pk: ""}
        # (only this test's rows: a transactional test may share the database with others')
        assert new.get_model("scenarios", "Scenario").objects.get(slug="shop").browser == "chromium"
        assert new.get_model("scenarios", "Agent").objects.get(name="paris-1").browsers is None
    finally:
        # Leave the schema as every other test expects it: every migration applied.
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())
