"""core.load.plan: stages, ramps, validation and how a stage's users map to agents."""

import pytest

from core.load.plan import (
    CONTINUOUS,
    PARALLEL,
    Plan,
    PlanError,
    capacity_refusal,
    parse_stages,
    ramp,
    shares_of,
    split_users,
)


def test_a_ramp_is_a_staircase_that_always_ends_on_its_top() -> None:
    assert ramp(1, 10, 3) == [1, 4, 7, 10]
    assert ramp(2, 9, 3) == [2, 5, 8, 9]
    assert ramp(5, 5, 1) == [5]


@pytest.mark.parametrize("bad", [(0, 5, 1), (5, 4, 1), (1, 5, 0)])
def test_a_ramp_that_goes_nowhere_is_refused(bad: tuple[int, int, int]) -> None:
    with pytest.raises(PlanError, match="a ramp goes from at least 1 user"):
        ramp(*bad)


def test_stages_are_read_from_a_list_or_a_ramp() -> None:
    assert parse_stages("1, 5, 10,25") == [1, 5, 10, 25]
    assert parse_stages("1-10/3") == [1, 4, 7, 10]
    assert parse_stages("2-4") == [2, 3, 4]
    with pytest.raises(PlanError, match="whole numbers of users"):
        parse_stages("1, five")
    with pytest.raises(PlanError, match="FROM-TO/STEP"):
        parse_stages("1-x/2")


def test_a_plan_needs_exactly_one_of_seconds_and_iterations() -> None:
    assert Plan(CONTINUOUS, (1, 4), seconds=30).most_users == 4
    assert Plan(PARALLEL, (8, 2), iterations=3).most_users == 8
    with pytest.raises(PlanError, match="duration in seconds or a number of iterations"):
        Plan(CONTINUOUS, (1,))
    with pytest.raises(PlanError, match="duration in seconds or a number of iterations"):
        Plan(CONTINUOUS, (1,), seconds=10, iterations=2)


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"kind": "soak"}, "kind must be one of continuous, parallel"),
        ({"stages": ()}, "at least one stage"),
        ({"stages": tuple(range(1, 22))}, "at most 20 stages"),
        ({"stages": (0, 2)}, "from 1 to 1000 users"),
        ({"seconds": 3601}, "from 1 to 3600 seconds"),
        ({"statistic": "mean"}, "statistic must be one of median, p95"),
        ({"limit": -1.0}, "a number from 0"),
        ({"limit": float("nan")}, "a number from 0"),
    ],
)
def test_a_plan_out_of_bounds_is_refused_saying_why(fields: dict[str, object], why: str) -> None:
    plan = {"kind": CONTINUOUS, "stages": (1,), "seconds": 10, **fields}
    with pytest.raises(PlanError, match=why):
        Plan(**plan)  # type: ignore[arg-type]


def test_users_map_to_agents_in_proportion_to_what_they_hold() -> None:
    assert split_users(5, {"a": 8, "b": 4}) == {"a": 3, "b": 2}
    assert split_users(12, {"a": 8, "b": 4}) == {"a": 8, "b": 4}
    assert split_users(1, {"a": 8, "b": 4}) == {"a": 1}
    # equal remainders: by name
    assert split_users(3, {"b": 4, "a": 4}) == {"a": 2, "b": 1}
    # an agent that holds none gets none
    assert split_users(2, {"a": 0, "b": 4}) == {"b": 2}


def test_no_agent_gets_more_than_it_holds() -> None:
    for users in range(1, 16):
        shares = split_users(users, {"a": 10, "b": 3, "c": 2})
        assert sum(shares.values()) == users
        assert shares.get("a", 0) <= 10 and shares.get("b", 0) <= 3 and shares.get("c", 0) <= 2


def test_more_users_than_the_agents_hold_is_refused_with_the_numbers() -> None:
    with pytest.raises(PlanError) as refused:
        split_users(13, {"a": 8, "b": 4})
    assert str(refused.value) == (
        "13 virtual users are more than the live agents of this location hold: a holds 8, "
        "b holds 4 (12 in all); lower the largest stage to 12 or start more agents"
    )
    assert capacity_refusal(3, {"old": 0}, "eu-west with chromium") == (
        "3 virtual users need live agents that hold load users, and eu-west with chromium has "
        "none (start one with `manage.py agent`; PERFITE_AGENT_LOAD_USERS sets how many it "
        "holds)"
    )


def test_every_stage_is_split_and_the_first_one_too_large_refused() -> None:
    assert shares_of([1, 4, 8], {"a": 8}) == [{"a": 1}, {"a": 4}, {"a": 8}]
    with pytest.raises(PlanError, match="9 virtual users"):
        shares_of([1, 9], {"a": 8})
