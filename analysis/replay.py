"""Token-based replay fitness of traces on a workflow net (Rozinat and van der Aalst, 2008).

Each trace starts with one token in the source place (produced: 1). For each event, the visible transition with
its label fires; when it is not enabled, the shortest run of silent transitions that enables it is fired first
(gateways, service tasks, timers); failing that, the tokens it lacks are counted as missing and added. At the
end the shortest silent run to the sink is fired, the sink's token is consumed, and the tokens left anywhere else
are counted as remaining. Fitness = ½(1 − missing/consumed) + ½(1 − remaining/produced): 1.0 when every trace is
a run of the model from start to end, lower the more a trace had to be forced.

An event whose label no transition has (a task the model does not contain) counts one missing and one consumed
token and moves nothing: a task done outside the model is what conformance is for. (pm4py's token replay passes
over such an event; on every other trace the two agree, which tests/test_event_log.py checks.)
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from analysis.workflow_net import SINK, SOURCE, Transition, WorkflowNet

Marking = Counter[str]
SEARCH_DEPTH = 12  # silent steps tried to enable a task: longer than any run of automated steps in our models
SEARCH_STATES = 5000  # markings explored at most per search (non-interrupting timers can add tokens for ever)


@dataclass(frozen=True)
class Fitness:
    traces: int
    fitting: int  # traces replayed with nothing missing nor remaining
    missing: int
    remaining: int
    consumed: int
    produced: int

    @property
    def value(self) -> float:
        if not self.traces:
            return 1.0
        return 0.5 * (1 - self.missing / self.consumed) + 0.5 * (1 - self.remaining / self.produced)


def _enabled(marking: Marking, transition: Transition) -> bool:
    needed = Counter(transition.inputs)
    return all(marking[place] >= count for place, count in needed.items())


def _fire(marking: Marking, transition: Transition) -> Marking:
    after = Counter(marking)
    if transition.terminate is not None:  # the process (or called process) ends: its open work is cancelled
        after = Counter({p: n for p, n in after.items() if not p.startswith(transition.terminate) and
                         not p.startswith(f"busy:{transition.terminate}") and
                         not p.startswith(f"ready:{transition.terminate}")})
    else:
        after.subtract(Counter(transition.inputs))
    after.update(transition.outputs)
    return +after  # drop places left with no token


def _consumed(marking: Marking, transition: Transition) -> int:
    if transition.terminate is None:
        return len(transition.inputs)
    return sum(marking.values()) - sum(_fire(marking, transition).values()) + len(transition.outputs)


def _key(marking: Marking) -> tuple[tuple[str, int], ...]:
    return tuple(sorted(marking.items()))


def _silent_run(net: WorkflowNet, marking: Marking, goal: Iterable[Transition] | None) -> list[Transition] | None:
    """The shortest run of silent transitions after which one of ``goal`` is enabled (``None``: the sink is
    marked); None when there is none within the search's bounds."""
    targets = list(goal) if goal is not None else []
    silent = [t for t in net.transitions if t.label is None]

    def reached(m: Marking) -> bool:
        return any(_enabled(m, t) for t in targets) if goal is not None else m[SINK] > 0

    if reached(marking):
        return []
    queue: deque[tuple[Marking, list[Transition]]] = deque([(marking, [])])
    seen = {_key(marking)}
    while queue and len(seen) < SEARCH_STATES:
        current, run = queue.popleft()
        if len(run) >= SEARCH_DEPTH:
            continue
        for transition in silent:
            if not _enabled(current, transition):
                continue
            after = _fire(current, transition)
            key = _key(after)
            if key in seen:
                continue
            if reached(after):
                return [*run, transition]
            seen.add(key)
            queue.append((after, [*run, transition]))
    return None


def replay(net: WorkflowNet, traces: Iterable[Sequence[str]]) -> Fitness:
    """Replay each trace (the labels of its events, in order) and total what was missing and remaining."""
    by_label: dict[str, list[Transition]] = {}
    for transition in net.transitions:
        if transition.label is not None:
            by_label.setdefault(transition.label, []).append(transition)
    totals = Counter[str]()
    count = fitting = 0
    for trace in traces:
        count += 1
        marking: Marking = Counter({SOURCE: 1})
        missing = remaining = 0
        consumed, produced = 0, 1
        for label in trace:
            candidates = by_label.get(label, [])
            if not candidates:
                missing += 1
                consumed += 1
                continue
            run = _silent_run(net, marking, candidates)
            for step in run or []:
                consumed += _consumed(marking, step)
                produced += len(step.outputs)
                marking = _fire(marking, step)
            transition = next((t for t in candidates if _enabled(marking, t)), candidates[0])
            lacking = Counter(transition.inputs) - marking
            missing += sum(lacking.values())
            marking.update(lacking)
            consumed += len(transition.inputs)
            produced += len(transition.outputs)
            marking = _fire(marking, transition)
        for step in _silent_run(net, marking, None) or []:
            consumed += _consumed(marking, step)
            produced += len(step.outputs)
            marking = _fire(marking, step)
        if marking[SINK] == 0:
            missing += 1
            marking[SINK] += 1
        marking[SINK] -= 1
        consumed += 1
        remaining += sum((+marking).values())
        fitting += missing == 0 and remaining == 0
        totals.update(missing=missing, remaining=remaining, consumed=consumed, produced=produced)
    return Fitness(count, fitting, totals["missing"], totals["remaining"], totals["consumed"], totals["produced"])
