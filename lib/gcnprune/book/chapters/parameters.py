"""The notebooks' parameters checked by type: each ``parameters`` cell annotates its names
(``rates: list[float] | None = None``), and a value of the wrong type (``rates=0.5``, ``seeds="0"``) is one
line naming the parameter, the value and the type expected, before anything runs. The book runner checks
``--param`` values this way (:mod:`gcnprune.book.build.parameters`), and each notebook checks what papermill
injected in its first cell after the parameters (:func:`check_parameters`)."""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

from gcnprune.errors import UserError

NAMES = {"str": str, "int": int, "float": float, "bool": bool, "dict": dict, "list": list, "None": None}
WORDS = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "a mapping"}
EXAMPLES = {str: '"text"', int: "2", float: "0.9", bool: "true", dict: "{}"}


class ParameterTypeError(UserError, TypeError):
    """A notebook parameter whose value is not of the type its parameters cell annotates."""


def parameter_type(annotation: str) -> Any:
    """The type an annotation's source names (``list[float] | None``), built from :data:`NAMES` only."""
    try:
        return eval(annotation, {"__builtins__": {}}, dict(NAMES))  # noqa: S307 - names limited to NAMES
    except Exception as error:  # a name outside NAMES, or not an expression
        raise ValueError(f"unsupported parameter annotation {annotation!r} ({error})") from None


def _options(expected: Any) -> tuple[Any, ...]:
    """The alternatives of a union (``X | None``), or ``expected`` alone."""
    if isinstance(expected, types.UnionType) or typing.get_origin(expected) is typing.Union:
        return typing.get_args(expected)
    return (expected,)


def matches(value: Any, expected: Any) -> bool:
    """Whether ``value`` is of the ``expected`` type (an int passes for a float, a bool never for a number)."""
    for option in _options(expected):
        if option is None or option is type(None):
            if value is None:
                return True
        elif typing.get_origin(option) is list:
            (item,) = typing.get_args(option) or (object,)
            if isinstance(value, list) and all(item is object or matches(v, item) for v in value):
                return True
        elif option in (int, float) and isinstance(value, bool):
            continue
        elif option is float and isinstance(value, int | float):
            return True
        elif isinstance(option, type) and isinstance(value, option):
            return True
    return False


def describe(expected: Any) -> str:
    """The type in words: ``list[float] | None`` → "a list of numbers, or None"."""
    words = []
    for option in _options(expected):
        if option is None or option is type(None):
            words.append("None")
        elif typing.get_origin(option) is list:
            (item,) = typing.get_args(option) or (str,)
            words.append(f"a list of {WORDS.get(item, 'values').split(' ', 1)[1]}s")
        else:
            words.append(WORDS.get(option, getattr(option, "__name__", str(option))))
    return ", or ".join(words)


def example(expected: Any) -> str:
    """A value of the type, as JSON: ``[0.9, 0.99]`` for a list of numbers."""
    option = next(o for o in _options(expected) if o is not None and o is not type(None))
    if typing.get_origin(option) is list:
        (item,) = typing.get_args(option) or (str,)
        return {int: "[0, 1]", float: "[0.9, 0.99]"}.get(item, '["a", "b"]')
    return EXAMPLES.get(option, "null")


def type_problem(name: str, value: Any, expected: Any) -> str | None:
    """None when ``value`` is of the ``expected`` type; else what is wrong, in words, with an example."""
    if matches(value, expected):
        return None
    return f"parameter {name} = {value!r} is not {describe(expected)}; e.g. {name}={example(expected)}"


def check_parameters(namespace: Mapping[str, Any]) -> None:
    """Check a notebook's parameters by the types its parameters cell annotates (``namespace`` is the
    notebook's ``globals()``, after papermill's injected cell); a wrong one is a :class:`ParameterTypeError`."""
    for name, expected in dict(namespace.get("__annotations__", {})).items():
        if isinstance(
            expected, str
        ):  # postponed annotations (a cell compiled under `from __future__ import annotations`)
            expected = parameter_type(expected)
        if name in namespace:
            problem = type_problem(name, namespace[name], expected)
            if problem:
                raise ParameterTypeError(f"this notebook's {problem} (with papermill, -y passes YAML: "
                                         f"-y '{name}: {example(expected)}'; -p passes text)")  # fmt: skip
