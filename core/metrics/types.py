"""The shapes of the metric registry: a metric, a split family, an attribution rule.

What each flag means is said here once; the entries themselves are core.metrics.registry.
"""

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from core.metrics.units import Unit, format_in


class UnknownMetric(KeyError):
    """A name that is neither a page metric nor a member of a family."""


@dataclass(frozen=True)
class Attribution:
    """Which requests a timing's change is traced to (core.stats.attribution).

    ``requests``: ``all`` (every request started before the metric's moment),
    ``render_blocking`` (only render-blocking ones: the critical path to a paint), ``named``
    (the requests a named request's declaration matches, whenever they started) or ``none``;
    ``resource_types``: types that count even when not render-blocking (LCP's image or font);
    ``blocking``: whether main-thread blocking (long tasks) counts too.
    """

    requests: str = "all"
    resource_types: tuple[str, ...] = ()
    blocking: bool = True


WHOLE_LOAD = Attribution()
CRITICAL_PATH = Attribution("render_blocking", blocking=False)
NAMED_REQUESTS = Attribution("named", blocking=False)
# Main-thread time: the scripts' blocking, host by host, not their requests.
MAIN_THREAD = Attribution("none")
# Not made of requests or main-thread time (memory, WebSocket frames, a page's own numbers).
NOTHING = Attribution("none", blocking=False)


@dataclass(frozen=True)
class Metric:
    """One metric and its treatment everywhere.

    ``column``: stored as a Run column (fast trends, filters, alert scopes);
    ``graphite``: pushed to Graphite; ``charted``: drawn on the scenario page;
    ``gated``: in the CI gate's default family; ``min_effect``: the smallest change worth a
    verdict (None: the unit's default); ``higher_is_better``: a rise is an improvement;
    ``summary``: one of the few values that sum a run up in a line (the scenario list and its
    sparkline choices, a scenario's latest runs, ``measure``'s progress);
    ``waterfall_mark``: a page timing drawn as a line across the waterfall; ``short_label``:
    the label where space is tight (empty: the label); ``party``: the party (``first`` or
    ``third``) this page metric counts alone, empty when it counts the whole page.
    ``cost`` (fields of a split): part of what the split costs the page, the measures host
    correlation ranks and a comparison report gives a row (see ``Family.reported``);
    ``attribution``: how a change of this timing is traced to requests (core.stats.attribution);
    ``har_timing``: its key in a HAR page's ``pageTimings`` (imports), empty when none;
    ``headline``: the one metric shown and asked about when none is named (LCP).
    """

    name: str
    label: str
    unit: Unit
    description: str = ""
    column: bool = False
    graphite: bool = False
    charted: bool = False
    gated: bool = False
    min_effect: float | None = None
    higher_is_better: bool = False
    summary: bool = False
    waterfall_mark: bool = False
    short_label: str = ""
    party: str = ""
    cost: bool = False
    attribution: "Attribution | None" = None
    har_timing: str = ""
    headline: bool = False

    @property
    def short(self) -> str:
        """The label where space is tight: ``DCL`` for DOM content loaded."""
        return self.short_label or self.label

    @property
    def effect(self) -> float:
        """The absolute minimum effect: the metric's own, else its unit's."""
        return self.unit.min_effect if self.min_effect is None else self.min_effect

    def format(self, value: float | None, *, signed: bool = False) -> str:
        return format_in(self.unit, value, signed=signed)


@dataclass(frozen=True)
class Family:
    """A split of a run whose members are named at run time (hosts, entities, steps …).

    ``prefix`` starts metric names; ``document_key`` is where the members live in the result
    document (a mapping of member → fields, or for steps a list of objects with ``name``);
    ``graphite_node`` is the path component in Graphite; ``fields`` the metrics of a member;
    ``reported`` the fields a CI comparison report gives a row per member (the others stay in
    the run documents).

    A *named* family (``named=True``: user timings, named requests, JS values, WebSockets,
    backend series) has members the scenario or the page names; its values are flat keys of
    the document's ``metrics`` (``request.create_chat.duration_ms``), so every surface that
    reads ``metrics`` carries them, and an absent member is absent, never 0. A family with a
    ``value`` instead of fields has one value per member, named ``<prefix>.<member>``
    (``user.checkout_ready``).
    """

    prefix: str
    label: str
    document_key: str
    graphite_node: str
    fields: tuple[Metric, ...]
    member_labels: tuple[tuple[str, str], ...] = ()
    reported: tuple[str, ...] = ()
    named: bool = False
    value: Metric | None = None

    def member_label(self, member: str) -> str:
        """How a member is named on screen (``third`` → ``Third-party``)."""
        return dict(self.member_labels).get(member, member)

    def field(self, name: str) -> Metric:
        if self.value is not None and name == self.value.name:
            return self.value
        for metric in self.fields:
            if metric.name == name:
                return metric
        raise UnknownMetric(f"{self.prefix}: no field {name!r}")

    def members(self, document: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
        """(member, its fields) of a result document, in document order.

        Steps are a list, named by their ``name``; a member that is not an object is skipped.
        """
        found = document.get(self.document_key) or {}
        if isinstance(found, Mapping):
            pairs: Iterable[tuple[Any, Any]] = found.items()
        else:
            pairs = ((item.get("name"), item) for item in found if isinstance(item, Mapping))
        for member, fields in pairs:
            if isinstance(fields, Mapping):
                yield str(member), fields

    def field_names(self, **flags: bool) -> tuple[str, ...]:
        """Field names, in registry order, whose flags match (``graphite=True`` …)."""
        return tuple(
            f.name for f in self.fields if all(getattr(f, k) == v for k, v in flags.items())
        )
