"""The waterfalls of a run with actors: one per actor, its own requests and page marks, all on
the run's span, each with the run's measured steps at the same place."""

from dashboard.waterfall import actor_waterfalls, build_waterfall
from tests.core.result.test_actors import document


def test_each_actor_has_its_own_rows_on_the_runs_span() -> None:
    doc = document()
    operator, visitor = actor_waterfalls(doc)
    assert (operator.name, visitor.name) == ("operator", "visitor")
    assert [r.url.rsplit("/", 1)[1] for r in operator.waterfall.rows] == [
        "console",
        "app.js",
        "ad.js",
        "shared.css",
    ]
    assert [(r.url, r.started_ms, r.left) for r in visitor.waterfall.rows] == [
        ("http://chat.example.com/widget", 300.0, 23.077)  # 300 ms of the step's 1300 ms end
    ]
    assert operator.waterfall.span_ms == visitor.waterfall.span_ms == 1300.0
    # Each actor's marks are its own pages': the visitor's LCP at 300 + 95 ms.
    assert [(m.name, m.ms) for m in visitor.waterfall.marks if m.name == "LCP"] == [("LCP", 395.0)]
    assert [(m.name, m.ms) for m in operator.waterfall.marks if m.name == "LCP"] == [("LCP", 220.0)]


def test_the_runs_steps_are_drawn_at_the_same_place_over_every_actor() -> None:
    bars = [w.waterfall.steps for w in actor_waterfalls(document())]
    assert bars[0] == bars[1]
    [step] = bars[0]
    assert (step.name, step.started_ms, step.duration_ms, step.actors) == (
        "sent",
        1000.0,
        300.0,
        ["visitor", "operator"],
    )
    assert (step.left, step.width) == (76.923, 23.077)


def test_a_run_without_actors_has_no_actor_waterfalls_and_no_step_bars() -> None:
    doc = document()
    del doc["actors"]
    assert actor_waterfalls(doc) == []
    assert build_waterfall(doc).steps == []
