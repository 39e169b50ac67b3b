"""The faults of bench/chaos.py: the timetable, what each fault does to the running stack, and
how long the system took to recover from it (watched in the database, in the background,
while the load goes on; the next fault waits for those watches to end)."""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.db import connection
from django.db.models import Max
from django.utils import timezone

from bench.chaos_stack import (
    LOCAL,
    LOCAL_AGENTS,
    REMOTE,
    REMOTE_AGENTS,
    Stack,
    descendants,
    kill_pids,
    start_time,
)
from scenarios.models import GraphitePoint, Run

# Slow pages keep a run in flight long enough to be hit mid-run.
SLOW_SCENARIOS = ("c-slow", "r-slow")
AGENTS = {LOCAL: LOCAL_AGENTS, REMOTE: REMOTE_AGENTS}
OUTAGE_S = {"redis": 60, "web": 60, "carbon": 120, "agent": 30}
FAULTS = {
    "kill_pool_child": "agent's worker child killed (kill -9)",
    "kill_browser": "Chromium browser process killed (kill -9)",
    "kill_agent": f"whole agent killed (kill -9), started again {OUTAGE_S['agent']} s later",
    "stop_redis": f"Redis stopped (SIGTERM) for {OUTAGE_S['redis']} s",
    "stop_web": f"web server killed (kill -9) for {OUTAGE_S['web']} s",
    "carbon_refusing": f"carbon refusing connections for {OUTAGE_S['carbon']} s",
    "carbon_resetting": f"carbon resetting connections mid-batch for {OUTAGE_S['carbon']} s",
}


@dataclass
class Record:
    """One fault as it happened: when (seconds into the load), to what, what it hit, and
    each recovery time (what → "21 s", or why there is none)."""

    fault: str
    target: str
    at_s: float = 0.0
    note: str = ""
    recovery: dict[str, str] = field(default_factory=dict)
    watchers: list[threading.Thread] = field(default_factory=list)


class Faults:
    """Runs the timetable against ``stack`` on a thread; ``records`` say what happened."""

    def __init__(self, stack: Stack, start: float, minutes: float, watch_s: float) -> None:
        self.stack = stack
        self.start = start  # time.time() of the first slot
        self.minutes = minutes
        self.watch_s = watch_s  # how long a recovery may take before it counts as none
        self.records: list[Record] = []
        self.hit: set[int] = set()  # runs a fault hit: the next fault looks for another
        self.stopped = threading.Event()

    def timetable(self) -> list[tuple[float, str, str]]:
        """(minute of a 60-minute load, fault, target: a location's agents, or a service),
        scaled to the load's length. Faults run one after another, each no earlier than its
        minute."""
        return [
            (4, "kill_pool_child", LOCAL),
            (8, "kill_browser", LOCAL),
            (12, "kill_agent", LOCAL),
            (20, "stop_redis", "redis"),
            (27, "stop_web", "web"),
            (33, "carbon_refusing", "carbon"),
            (39, "carbon_resetting", "carbon"),
            (45, "kill_pool_child", REMOTE),
            (49, "kill_browser", REMOTE),
            (53, "kill_agent", REMOTE),
        ]

    def elapsed(self) -> float:
        return time.time() - self.start

    def run(self) -> None:
        """Each fault at its time, once the recoveries from the earlier ones were seen; a
        fault whose turn comes in the load's last minute is skipped, and says so."""
        end = self.minutes * 60 - 60
        for minute, fault, target in self.timetable():
            action: Callable[[Record], None] = getattr(self, fault)
            record = Record(FAULTS[fault], target)
            self.records.append(record)
            # No earlier than its minute, nor while an earlier fault's recovery is still being
            # watched: each recovery time is that fault's alone.
            while not self.stopped.is_set() and (
                self.elapsed() < minute / 60 * self.minutes * 60 or self.recovering()
            ):
                time.sleep(1)
            if self.elapsed() > end or self.stopped.is_set():
                record.note = "skipped: the load ended before its turn"
                continue
            try:
                action(record)
            except Exception as exc:  # one fault that could not be applied: said, not hidden
                record.note += f" Could not be applied: {type(exc).__name__}: {exc}"
        connection.close()

    def recovering(self) -> bool:
        return any(w.is_alive() for r in self.records for w in r.watchers)

    def join(self) -> None:
        for record in self.records:
            for watcher in record.watchers:
                watcher.join()

    # --- watching --------------------------------------------------------------------------

    def watch(self, record: Record, what: str, done: Callable[[], bool], since: float) -> None:
        """Poll ``done`` every second; note in ``record`` how long after ``since`` it held."""

        def poll() -> None:
            while time.time() - since < self.watch_s:
                if done():
                    record.recovery[what] = f"{time.time() - since:.0f} s"
                    break
                time.sleep(1)
            else:
                record.recovery[what] = f"not within {self.watch_s:.0f} s"
            connection.close()

        watcher = threading.Thread(target=poll, daemon=True)
        record.watchers.append(watcher)
        watcher.start()

    def watch_run(self, record: Record, run: Run | None, since: float) -> None:
        """The run the fault hit: when it ended, how, and when its stored measurement began
        (after ``since``: it was measured again)."""
        if run is None:
            record.note += " No run was in flight."
            return
        self.hit.add(run.pk)
        record.note += f" Hit run {run.pk} ({run.scenario.slug}, attempt {run.attempts})."

        def ended() -> bool:
            final = Run.objects.filter(pk=run.pk, status__in=Run.FINISHED).first()
            if final is None:
                return False
            began = final.started_at.timestamp() - since if final.started_at else -1
            again = f"measured again from {began:.0f} s" if began > 0 else "not measured again"
            record.recovery["its outcome"] = (
                f"{final.status}, {again}, attempts {final.attempts}, by {final.agent_name}"
            )
            return True

        self.watch(record, "its result", ended, since)

    def in_flight(self, agents: tuple[str, ...], wait_s: float = 150) -> tuple[str, Run | None]:
        """An agent of ``agents`` and the run it has held for 2 to 8 s (a slow page's,
        preferably: then the fault lands mid-run), waiting up to ``wait_s`` for one; the
        first agent and None if there was none."""
        deadline = time.time() + wait_s
        while time.time() < deadline and not self.stopped.is_set():
            now = timezone.now()
            held = (
                Run.objects.exclude(pk__in=self.hit)
                .filter(
                    status=Run.RUNNING,
                    agent_name__in=agents,
                    started_at__lte=now - timedelta(seconds=2),
                    started_at__gte=now - timedelta(seconds=8),
                )
                .select_related("scenario")
            )
            run = held.filter(scenario__slug__in=SLOW_SCENARIOS).first()
            if run is None and time.time() > deadline - wait_s / 3:  # late: any run will do
                run = held.first()
            if run is not None:
                return run.agent_name, run
            time.sleep(0.5)
        return agents[0], None

    def begin(self, record: Record, agent: str = "") -> float:
        record.at_s = self.elapsed()
        if agent:
            record.target = f"{agent} ({record.target})"
        return time.time()

    # --- the faults ------------------------------------------------------------------------

    def kill_pool_child(self, record: Record) -> None:
        agent, run = self.in_flight(AGENTS[record.target])
        children = self.stack.agent_pool_children(agent)
        since = self.begin(record, agent)
        killed = kill_pids({pid: start_time(pid) for pid in children})
        record.note = f"Killed {killed} pool child."
        self.watch_run(record, run, since)

    def kill_browser(self, record: Record) -> None:
        agent, run = self.in_flight(AGENTS[record.target])
        browsers = self.stack.browsers_of(agent)
        since = self.begin(record, agent)
        killed = kill_pids({pid: start_time(pid) for pid in browsers})
        record.note = f"Killed {killed} browser process{'' if killed == 1 else 'es'}."
        self.watch_run(record, run, since)

    def kill_agent(self, record: Record) -> None:
        agent, run = self.in_flight(AGENTS[record.target])
        process = self.stack.processes[agent]
        family = {pid: start_time(pid) for pid in descendants(process.pid)}
        since = self.begin(record, agent)
        process.kill9()
        time.sleep(5)
        # Chromium runs in a process group of its own: the agent's death need not end it.
        left = kill_pids(family)
        record.note = f"{left} of its {len(family)} descendants outlived it (ended by the bench)."
        time.sleep(max(0, OUTAGE_S["agent"] - 5))
        self.stack.start_agent(agent)
        record.recovery["agent ready again"] = f"{time.time() - since:.0f} s"
        self.watch_run(record, run, since)

    def stop_redis(self, record: Record) -> None:
        """Mid-run of a local agent: its result is stored and acknowledged meanwhile."""
        _, run = self.in_flight(AGENTS[LOCAL])
        self.begin(record)
        self.stack.processes["redis"].stop()  # SIGTERM: the append-only file is written out
        time.sleep(OUTAGE_S["redis"])
        self.stack.start_redis()
        back = time.time()
        record.note = f"Down {back - self.start - record.at_s:.0f} s."
        after = datetime.fromtimestamp(back, tz=UTC)
        first: list[datetime] = []

        def resumed() -> bool:
            created = Run.objects.filter(created_at__gt=after).order_by("created_at").first()
            if created is not None:
                first.append(created.created_at)
            return created is not None

        def its_runs_ended() -> bool:
            return (
                bool(first)
                and not Run.objects.filter(
                    created_at__gte=first[0], created_at__lt=first[0] + timedelta(seconds=5)
                )
                .exclude(status__in=Run.FINISHED)
                .exists()
            )

        self.watch(record, "dispatch resumed (first new run)", resumed, back)
        self.watch(record, "the runs of that tick ended", its_runs_ended, back)
        self.watch_run(record, run, back)

    def stop_web(self, record: Record) -> None:
        """Mid-run of a remote agent: its delivery finds no server and is spooled."""
        logs = {name: self.stack.log_size(name) for name in REMOTE_AGENTS}
        _, run = self.in_flight(AGENTS[REMOTE])
        self.begin(record)
        self.stack.processes["web"].kill9()
        time.sleep(OUTAGE_S["web"])
        self.stack.start_web()
        back = time.time()
        spooled = sum(
            self.stack.processes[name]
            .log.read_text(errors="replace")[logs[name] :]
            .count("kept in the spool")
            for name in REMOTE_AGENTS
        )
        ids = list(
            Run.objects.filter(location__name=REMOTE)
            .exclude(status__in=Run.FINISHED)
            .values_list("pk", flat=True)
        )
        record.note = (
            f"Down {back - self.start - record.at_s:.0f} s; {spooled} results spooled; "
            f"{len(ids)} remote runs unfinished at its return."
        )
        self.watch(
            record,
            "those ended",
            lambda: not Run.objects.filter(pk__in=ids).exclude(status__in=Run.FINISHED).exists(),
            back,
        )
        self.watch_run(record, run, back)

    def carbon_outage(self, record: Record, resetting: bool) -> None:
        carbon = self.stack.carbon
        before = dict(carbon.connections)
        self.begin(record)
        if resetting:
            carbon.resetting = True
        else:
            carbon.refuse()
        peak, until = 0, time.time() + OUTAGE_S["carbon"]
        while time.time() < until:
            peak = max(peak, GraphitePoint.objects.count())
            time.sleep(2)
        carbon.resetting = False
        if not resetting:
            carbon.listen()
        back = time.time()
        resets = carbon.connections["reset"] - before.get("reset", 0)
        record.note = f"Outbox peaked at {peak} points" + (
            f"; {resets} connections reset." if resetting else "."
        )
        last = GraphitePoint.objects.aggregate(last=Max("id"))["last"] or 0
        self.watch(
            record,
            "outbox drained of the points queued before its return",
            lambda: not GraphitePoint.objects.filter(id__lte=last).exists(),
            back,
        )

    def carbon_refusing(self, record: Record) -> None:
        self.carbon_outage(record, resetting=False)

    def carbon_resetting(self, record: Record) -> None:
        self.carbon_outage(record, resetting=True)
