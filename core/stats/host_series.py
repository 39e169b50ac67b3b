"""A scenario's run history as plain data, and as per-host and per-entity measure matrices.

Pure functions: no ORM, no I/O. A *run* is a mapping::

    {"t": datetime | epoch seconds, "run_id": int, "metric": float | None,
     "hosts": {host: {<measure>: number, …, "entity": str, "party": "first" | "third"}}}

where the measures are :data:`MEASURES` (fields of the registry's host family). Runs come
oldest first. A host missing from a run was not requested: its measures count as 0, so a host
appearing or disappearing is a signal too. Runs without a finite metric (failed runs) are
left out; every index returned still points into the caller's sequence.

Host correlation (``core.stats.correlation``) and change points (``core.stats.changepoints``)
both read a history through :func:`host_columns`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from core.metrics import BYTES, COUNT, HOST, MS

Array = NDArray[np.float64]

# Ties between measures go to the first: a host's time says most about a page timing, then
# its bytes, then its request count.
_PREFERENCE = (MS, BYTES, COUNT)
# What a host costs the page (the registry's ``cost`` fields), in that order.
MEASURES = tuple(
    sorted(HOST.field_names(cost=True), key=lambda m: _PREFERENCE.index(HOST.field(m).unit))
)
# The measures that can explain a page metric: requests are left out because a new request
# shows up in time and bytes anyway.
EXPLAINING = tuple(m for m in MEASURES if HOST.field(m).unit is not COUNT)


@dataclass(frozen=True)
class Columns:
    """Per-key measure matrices: data[measure] has one row per usable run, one column per key."""

    keys: list[str]
    kinds: list[str]
    parties: list[str]
    entities: list[str]
    data: dict[str, Array]

    def __add__(self, other: Columns) -> Columns:
        stacked = {m: np.hstack([a, other.data[m]]) for m, a in self.data.items()}
        return Columns(
            self.keys + other.keys,
            self.kinds + other.kinds,
            self.parties + other.parties,
            self.entities + other.entities,
            stacked,
        )


def usable_runs(runs: Sequence[Mapping[str, Any]]) -> tuple[list[int], Array]:
    """Indices of the runs with a finite metric, and those metrics."""
    given = [
        (i, float(run["metric"])) for i, run in enumerate(runs) if run.get("metric") is not None
    ]
    usable = [(i, value) for i, value in given if math.isfinite(value)]
    return [i for i, _ in usable], np.asarray([v for _, v in usable], dtype=np.float64)


def host_columns(
    runs: Sequence[Mapping[str, Any]], rows: Sequence[int], measures: Sequence[str]
) -> Columns:
    """Build the host matrices; absent hosts are 0, party and entity are the latest seen."""
    col: dict[str, int] = {}
    party: dict[str, str] = {}
    entity: dict[str, str] = {}
    at_row: list[int] = []
    at_col: list[int] = []
    values: dict[str, list[float]] = {m: [] for m in measures}
    # Collect coordinates in plain lists and scatter once: per-element numpy writes are slow.
    for r, i in enumerate(rows):
        for host, h in (runs[i].get("hosts") or {}).items():
            at_row.append(r)
            at_col.append(col.setdefault(host, len(col)))
            party[host] = h.get("party") or "third"
            entity[host] = h.get("entity") or host
            for m in measures:
                values[m].append(h.get(m) or 0.0)
    data: dict[str, Array] = {}
    for m in measures:
        matrix = np.zeros((len(rows), len(col)), dtype=np.float64)
        matrix[at_row, at_col] = values[m]
        data[m] = matrix
    keys = list(col)
    return Columns(
        keys, ["host"] * len(keys), [party[k] for k in keys], [entity[k] for k in keys], data
    )


def entity_columns(hosts: Columns) -> Columns:
    """Sum hosts into their entities; an entity is first-party when any of its hosts is."""
    names = sorted(set(hosts.entities))
    position = {name: i for i, name in enumerate(names)}
    membership = np.zeros((len(hosts.keys), len(names)), dtype=np.float64)
    membership[np.arange(len(hosts.keys)), [position[e] for e in hosts.entities]] = 1.0
    first = {e for e, p in zip(hosts.entities, hosts.parties, strict=True) if p == "first"}
    return Columns(
        keys=names,
        kinds=["entity"] * len(names),
        parties=["first" if name in first else "third" for name in names],
        entities=names,
        data={m: matrix @ membership for m, matrix in hosts.data.items()},
    )
