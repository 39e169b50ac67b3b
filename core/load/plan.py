"""A load test's plan: its stages of concurrent virtual users, how long each lasts, and how the
users of a stage are shared out among the agents of a location. Pure.

Two kinds, as the teams that asked for them named them:

- ``continuous``: each virtual user repeats the journey back to back, for ``seconds`` or for
  ``iterations`` journeys per user;
- ``parallel``: the users start the journey at once, wait for one another, and start again
  together, for ``iterations`` rounds or until ``seconds`` have passed.

Stages are listed (``1, 5, 10, 25``) or given as a ramp, which is a staircase: ``ramp(1, 10,
3)`` is the stages 1, 4, 7, 10. Each stage is measured on its own; the next starts once every
user of the last one stopped.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CONTINUOUS = "continuous"
PARALLEL = "parallel"
KINDS = (CONTINUOUS, PARALLEL)
MEDIAN = "median"
P95 = "p95"
STATISTICS = (MEDIAN, P95)

MAX_STAGES = 20
MAX_USERS = 1000
MAX_STAGE_SECONDS = 3600
MAX_ITERATIONS = 1000


class PlanError(ValueError):
    """The plan cannot run; the message says why, in the words shown to the person asking."""


def ramp(start: int, stop: int, step: int) -> list[int]:
    """The stages of a ramp from ``start`` to ``stop`` users, ``step`` apart; ``stop`` is
    always the last stage, even when the steps do not land on it. Raises PlanError."""
    if start < 1 or stop < start or step < 1:
        raise PlanError("a ramp goes from at least 1 user up to as many or more, by 1 or more")
    stages = list(range(start, stop + 1, step))
    if stages[-1] != stop:
        stages.append(stop)
    return stages


def parse_stages(text: str) -> list[int]:
    """``"1, 5, 10"`` → [1, 5, 10]; ``"1-10/3"`` (a ramp) → [1, 4, 7, 10]. Raises PlanError."""
    text = text.strip()
    if "-" in text:
        bounds, _, step = text.partition("/")
        low, _, high = bounds.partition("-")
        numbers = [low, high, step or "1"]
        if not all(n.strip().isdigit() for n in numbers):
            raise PlanError(f"a ramp is written FROM-TO/STEP, e.g. 1-10/3: {text!r}")
        return ramp(*(int(n) for n in numbers))
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not parts or not all(p.isdigit() for p in parts):
        raise PlanError(f"stages are whole numbers of users, e.g. 1, 5, 10: {text!r}")
    return [int(p) for p in parts]


@dataclass(frozen=True)
class Plan:
    """What a load test runs: ``stages`` of concurrent users, in order, each for ``seconds``
    or ``iterations`` (exactly one of them), of ``kind``; and the question it answers: at
    which stage does ``statistic`` (median or p95) of ``metric`` cross ``limit``."""

    kind: str
    stages: tuple[int, ...]
    seconds: int | None = None
    iterations: int | None = None
    metric: str = "lcp"
    statistic: str = P95
    limit: float | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise PlanError(f"kind must be one of {', '.join(KINDS)}, not {self.kind!r}")
        if not self.stages:
            raise PlanError("give at least one stage of users")
        if len(self.stages) > MAX_STAGES:
            raise PlanError(f"at most {MAX_STAGES} stages")
        if any(not 1 <= n <= MAX_USERS for n in self.stages):
            raise PlanError(f"each stage has from 1 to {MAX_USERS} users")
        if (self.seconds is None) == (self.iterations is None):
            raise PlanError("give each stage a duration in seconds or a number of iterations")
        if self.seconds is not None and not 1 <= self.seconds <= MAX_STAGE_SECONDS:
            raise PlanError(f"a stage lasts from 1 to {MAX_STAGE_SECONDS} seconds")
        if self.iterations is not None and not 1 <= self.iterations <= MAX_ITERATIONS:
            raise PlanError(f"a stage has from 1 to {MAX_ITERATIONS} iterations per user")
        if self.statistic not in STATISTICS:
            raise PlanError(f"statistic must be one of {', '.join(STATISTICS)}")
        if self.limit is not None and not self.limit >= 0:
            raise PlanError("the limit is a number from 0")

    @property
    def most_users(self) -> int:
        return max(self.stages)


def split_users(users: int, capacities: Mapping[str, int]) -> dict[str, int]:
    """How ``users`` virtual users of one stage map to agents: in proportion to the users each
    agent says it can hold (``capacities``: agent name → users), largest remainders first
    (ties by name), never more than an agent holds. Agents that get none are left out.
    Raises PlanError when they cannot hold that many together."""
    room = {name: held for name, held in sorted(capacities.items()) if held > 0}
    total = sum(room.values())
    if users > total:
        raise PlanError(capacity_refusal(users, capacities))
    exact = {name: users * held / total for name, held in room.items()}
    shares = {name: int(value) for name, value in exact.items()}
    left = users - sum(shares.values())
    by_remainder = sorted(room, key=lambda name: (-(exact[name] - shares[name]), name))
    for name in by_remainder:
        if left == 0:
            break
        if shares[name] < room[name]:
            shares[name] += 1
            left -= 1
    return {name: n for name, n in shares.items() if n}


def capacity_refusal(
    users: int, capacities: Mapping[str, int], where: str = "this location"
) -> str:
    """Why ``users`` cannot run on agents holding ``capacities`` (agent → users), with the
    numbers: what each live agent holds, the sum, and what to do."""
    held = {name: n for name, n in sorted(capacities.items()) if n > 0}
    if not held:
        return (
            f"{users} virtual users need live agents that hold load users, and {where} has "
            "none (start one with `manage.py agent`; PERFITE_AGENT_LOAD_USERS sets how many it "
            "holds)"
        )
    each = ", ".join(f"{name} holds {n}" for name, n in held.items())
    total = sum(held.values())
    return (
        f"{users} virtual users are more than the live agents of {where} hold: {each} "
        f"({total} in all); lower the largest stage to {total} or start more agents"
    )


def shares_of(stage_users: Sequence[int], capacities: Mapping[str, int]) -> list[dict[str, int]]:
    """:func:`split_users` for every stage, in order; raises PlanError at the first stage the
    agents cannot hold."""
    return [split_users(users, capacities) for users in stage_users]
