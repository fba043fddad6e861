"""A budget for model code: every script, condition and DMN cell runs under a bound.

Why guards compiled into the code plus a clock, rather than a separate worker process:
model code runs inside the caller's database transaction (a script's result is written
with the step), so a worker would have to copy task data across a process boundary for
every one of the hundreds of expressions a step may evaluate (a DMN table alone has one
per cell) and still could not write. A Python thread cannot be stopped from outside, and
``signal.alarm`` only works in the main thread, which the web server does not run requests
on. So the bound is built into the compiled code, where RestrictedPython already rewrites it:

* every loop iteration, comprehension item and function call passes :meth:`Budget.tick`,
  which counts steps and checks the engine-enforced deadline (``time.monotonic``);
* the operations that can do unbounded work in one C call, where no tick can interrupt
  them, are replaced by guarded versions that refuse before starting: ``**`` and ``pow``
  (``9**9**9``), ``*`` and ``+`` on sequences (``'a' * 3 * 10**9``), ``<<``, ``range``
  longer than a bounded length (``sum(range(10**12))``), ``%`` formatting and the string
  methods that pad or repeat (``ljust``, ``replace``, ``join`` ...);
* what cannot be bounded cheaply is refused when the model is compiled: ``try`` (it could
  swallow the budget error and loop on), ``*`` unpacking in displays, f-string widths.

The limits hold for one engine operation (a start, a task completion, a timer firing:
one transaction), so a step with many cheap expressions shares one budget and the
database lock the transaction holds is released within about the time limit. The cost
is one Python call per loop iteration and per guarded operator: see docs/security.md for
the measured cost per expression.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from safeshare.core.errors import ModelError

#: Loop iterations, comprehension items and function calls in one engine operation.
MAX_STEPS = 1_000_000
#: The longest sequence (characters or items) one guarded operation may build.
MAX_ITEMS = 1_000_000
#: Items all guarded operations of one engine operation may build together (a memory bound).
MAX_TOTAL_ITEMS = 20_000_000
#: The largest whole number (in bits, about 30,000 digits) arithmetic may produce.
MAX_INT_BITS = 100_000
#: Seconds of model code per engine operation when the settings say nothing.
DEFAULT_SECONDS = 1.0


class ModelCodeBudgetError(ModelError):
    """Model code ran past its budget: the step stops and its transaction rolls back."""

    status_code = 500


def _over(limit: str) -> ModelCodeBudgetError:
    return ModelCodeBudgetError(
        f"The process model's code for this step went over its limit ({limit}), so the step was stopped "
        "and nothing was saved",
        "Ask whoever maintains the process models to check the step's scripts and conditions",
    )


@dataclass
class Budget:
    """What one engine operation's model code may still spend."""

    seconds: float = DEFAULT_SECONDS
    steps: int = MAX_STEPS
    items: int = MAX_TOTAL_ITEMS
    deadline: float = field(init=False)

    def __post_init__(self) -> None:
        self.deadline = time.monotonic() + self.seconds

    def tick(self) -> bool:
        """One loop iteration or call: counted, and the clock checked. True, so it fits in conditions."""
        self.steps -= 1
        if self.steps < 0:
            raise _over(f"{MAX_STEPS:,} steps")
        if time.monotonic() > self.deadline:
            raise _over(f"{self.seconds:g} seconds")
        return True

    def charge(self, items: int) -> None:
        """Refuse a sequence longer than :data:`MAX_ITEMS`, or more built in total than the budget holds."""
        if items > MAX_ITEMS:
            raise _over(f"{MAX_ITEMS:,} characters or items in one value")
        self.items -= items
        if self.items < 0:
            raise _over(f"{MAX_TOTAL_ITEMS:,} characters or items built in one step")
        if time.monotonic() > self.deadline:
            raise _over(f"{self.seconds:g} seconds")

    def check_int(self, bits: int) -> None:
        if bits > MAX_INT_BITS:
            raise _over(f"numbers of {MAX_INT_BITS:,} binary digits")


def _bits(value: Any) -> int:
    return abs(value).bit_length() if isinstance(value, int) else 0


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


class Guards:
    """The guarded operators and builtins one budget's code calls (bound into its globals)."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget

    def binop(self, op: str, left: Any, right: Any) -> Any:
        """``left op right`` for ``** * + << %``, refused before it starts if it would be too big."""
        budget = self.budget
        if op == "**":
            return self.power(left, right)
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if _length(seq) is not None and isinstance(times, int):
                    budget.charge(max(0, _length(seq) * times))  # type: ignore[operator]
            budget.check_int(_bits(left) + _bits(right))
            return left * right
        if op == "+":
            if _length(left) is not None and _length(right) is not None:
                budget.charge(_length(left) + _length(right))  # type: ignore[operator]
            return left + right
        if op == "<<":
            budget.check_int(_bits(left) + (right if isinstance(right, int) else 0))
            return left << right
        if op == "%":
            if isinstance(left, str | bytes) and _WIDE_FORMAT.search(left if isinstance(left, str) else left.decode()):
                raise _over("text widths under 1,000 in % formatting")
            return left % right
        raise ModelError(f"The operator {op} is not guarded", "This is a fault in safeshare")

    def power(self, base: Any, exponent: Any, modulo: Any = None) -> Any:
        if modulo is None and isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
            self.budget.check_int(max(_bits(base) - 1, 1) * exponent if abs(base) > 1 else 1)
        return pow(base, exponent, modulo)

    def inplace(self, op: str, left: Any, right: Any) -> Any:
        """``n += 1`` and friends (RestrictedPython turns them into this call)."""
        if op in ("+=", "*="):
            return self.binop(op[0], left, right)
        if op == "-=":
            return left - right
        raise ModelError(f"The operator {op} is not allowed in a model script", "Use + - or * only")

    def bounded_range(self, *args: int) -> range:
        result = range(*args)
        self.budget.charge(len(result))
        return result

    def sum_numbers(self, iterable: Iterable[Any], start: Any = 0) -> Any:
        if not isinstance(start, int | float):
            raise ModelError("sum() in a model adds numbers only", "Join lists with + instead")
        return sum(iterable, start)

    def method(self, obj: Any, name: str, method: Callable[..., Any]) -> Callable[..., Any]:
        """Bound methods that pad, repeat or grow a value check the size first."""
        budget = self.budget

        def padded(width: int, *rest: Any) -> Any:
            budget.charge(width if isinstance(width, int) else 0)
            return method(width, *rest)

        def expandtabs(tabsize: int = 8) -> Any:
            budget.charge(len(obj) * max(tabsize, 1))
            return method(tabsize)

        def replace(old: Any, new: Any, count: int = -1) -> Any:
            hits = obj.count(old) if count < 0 else min(count, obj.count(old))
            budget.charge(len(obj) + hits * max(len(new) - len(old), 0))
            return method(old, new, count)

        def join(items: Iterable[Any]) -> Any:
            items = list(items)
            budget.charge(sum(len(i) for i in items if _length(i) is not None) + len(obj) * len(items))
            return method(items)

        def extend(items: Iterable[Any]) -> Any:
            items = list(items)
            budget.charge(len(obj) + len(items))
            return method(items)

        wrappers: dict[str, Callable[..., Any]] = {
            "ljust": padded,
            "rjust": padded,
            "center": padded,
            "zfill": padded,
            "expandtabs": expandtabs,
            "replace": replace,
            "join": join,
            "extend": extend,
        }
        return wrappers.get(name, method)


#: Names a model's code may hold the guards under (prefixed with _, so a model cannot name them).
TICK = "_tick_"
BINOP = "_binop_"
GROWING_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs", "replace", "join", "extend"})
_WIDE_FORMAT = re.compile(r"%[-+ #0]*(\*|\d{4,})|%[-+ #0]*\d*\.(\*|\d{4,})")
