"""A step's own named metric whose last component is also a field of a step."""

from core.metrics import MS, REQUEST, STEP, metric, split_name


def test_a_steps_named_request_duration_is_the_requests_not_a_steps() -> None:
    found = metric("step.send.request.search.duration_ms")

    assert (found.label, found.unit) == ("send: Request search Duration", MS)
    family, member, inner = split_name("step.send.request.search.duration_ms") or (None, "", None)
    assert (family, member) == (STEP, "send")
    assert inner is not None and inner.name == "request.search.duration_ms"
    assert inner.description == REQUEST.field("duration_ms").description


def test_a_step_whose_name_has_dots_keeps_its_own_duration_and_start() -> None:
    assert split_name("step.check.out.duration_ms") == (
        STEP,
        "check.out",
        STEP.field("duration_ms"),
    )
    assert split_name("step.load.cpu.started_ms") == (STEP, "load.cpu", STEP.field("started_ms"))
