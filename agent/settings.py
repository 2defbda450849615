"""Settings of a learner as dataclass fields that describe and check themselves.

Each field made by :func:`setting` carries in its metadata:

- ``"help"``: one line for the command line's ``--help``;
- ``"range"`` (numbers only): ``(low, high)``, both bounds *inclusive*; ``None`` for a side
  without a bound. E.g. ``(0.0, 1.0)`` allows 0, 1 and everything between; ``(1, None)``
  allows every integer from 1 up.

:func:`check_settings` checks every field of a config against its type (``bool``, ``int``,
``float``, ``str``) and range, and raises a ValueError of one sentence naming the field and
what it allows, e.g. ``num_minibatches must be at least 1 (got 0)``.
"""

from __future__ import annotations

import math
from dataclasses import field, fields
from typing import Any

Number = int | float


def setting(default: Any, help: str, low: Number | None = None, high: Number | None = None) -> Any:
    """A config field with its one-line ``help`` and, for a number, its inclusive range."""
    metadata: dict[str, Any] = {"help": help}
    if low is not None or high is not None:
        metadata["range"] = (low, high)
    return field(default=default, metadata=metadata)


def range_text(low: Number | None, high: Number | None) -> str:
    """What a range allows, in words: 'between 0 and 1', 'at least 1', 'at most 10'."""
    if low is not None and high is not None:
        return f"between {_number_text(low)} and {_number_text(high)}"
    if low is not None:
        return f"at least {_number_text(low)}"
    if high is not None:
        return f"at most {_number_text(high)}"
    return "any number"


def check_settings(config: Any) -> None:
    """ValueError (one sentence) unless every field of the dataclass ``config`` has the right
    type and lies in its range."""
    for f in fields(config):
        value = getattr(config, f.name)
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        low, high = f.metadata.get("range", (None, None))
        if kind == "bool":
            if not isinstance(value, bool):
                raise ValueError(f"{f.name} must be true or false (got {value!r})")
        elif kind == "str":
            if not isinstance(value, str):
                raise ValueError(f"{f.name} must be a text (got {value!r})")
        elif kind in ("int", "float"):
            whole = kind == "int"
            if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)):
                raise ValueError(f"{f.name} must be {'a whole number' if whole else 'a number'} (got {value!r})")
            if (not whole and not math.isfinite(value)) or (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{f.name} must be {range_text(low, high)} (got {value!r})")


def _number_text(value: Number) -> str:
    return str(value) if isinstance(value, int) else f"{value:g}"
