"""The values of command-line options: comma-separated lists, 1-based fold ranges and METHOD.KEY=VALUE
settings, each read into Python values or refused with a :class:`~gcnprune.errors.UserError` naming the
option and the form it takes."""

from __future__ import annotations

import json

from gcnprune.errors import UserError

MAX_SEED = 2**31 - 1  # seeds are torch's and numpy's generator seeds: keep them in every platform's C int
MAX_FOLD = 1000  # far above any protocol's folds: a larger number is a typo, refused before a list is built


def distinct(items: list[int], option: str) -> list[int]:
    """``items`` if none repeats: a repeated fold or seed would count one run twice in the tables' n."""
    repeated = sorted({x for x in items if items.count(x) > 1})
    if repeated:
        raise UserError(f"{option} names {repeated[0]} more than once; give each value once")
    return items


def seeds(text: str) -> list[int]:
    """'0,1' → [0, 1]: distinct seeds in [0, 2**31 − 1]."""
    out = ints(text, "--seeds")
    bad = [s for s in out if not 0 <= s <= MAX_SEED]
    if bad:
        raise UserError(f"--seeds takes seeds from 0 to {MAX_SEED}, got {bad[0]}")
    return distinct(out, "--seeds")


def data_option(dataset: str, data: str | None) -> str | None:
    """``data`` (the ``--data`` folder), refused for the synthetic dataset, which is generated, not read."""
    if dataset == "synthetic" and data is not None:
        raise UserError(f"--data {data}: the synthetic dataset is generated from a seed, not read from files; "
                        "drop --data, or give --dataset sbu or fpha")  # fmt: skip
    return data


def json_or_text(raw: str) -> object:
    """``raw`` read as JSON (``3`` → 3, ``"a"`` → 'a', ``[0]`` → [0]), or the text itself where it is not JSON."""
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def values(text: str, option: str) -> list[str]:
    """The comma-separated items of an option's value; none at all is an error naming the option."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise UserError(f"{option} is empty; give comma-separated values, e.g. {option} 0,1")
    return items


def floats(text: str, option: str = "--rates") -> list[float]:
    """'0,0.5' → [0.0, 0.5] (whether each is a valid rate is the grid's check)."""
    items = values(text, option)
    try:
        return [float(x) for x in items]
    except ValueError:
        raise UserError(f"{option} takes comma-separated numbers, got {text!r}") from None


def ints(text: str, option: str) -> list[int]:
    """'0,1' → [0, 1]."""
    items = values(text, option)
    try:
        return [int(x) for x in items]
    except ValueError:
        raise UserError(f"{option} takes comma-separated integers, got {text!r}") from None


def folds(text: str) -> list[int]:
    """'1-5' or '1,3' (1-based, as protocols name them) → 0-based fold indices; fold 0 or a range
    written high-low (which would select nothing) is an error."""
    out: list[int] = []
    for part in values(text, "--folds"):
        lo, dash, hi = part.partition("-")
        try:
            first, last = int(lo), int(hi if dash else lo)
        except ValueError:
            raise UserError(f"--folds takes fold numbers and ranges such as 1-5 or 1,3, got {text!r}") from None
        if first < 1:
            raise UserError(f"--folds counts folds from 1, got {first}")
        if last < first:
            raise UserError(f"--folds range {part} selects no fold; write it low-high, e.g. {last}-{first}")
        if last > MAX_FOLD:
            raise UserError(f"--folds {part}: no protocol has {last} folds; give the folds of the dataset's protocol")
        out.extend(range(first - 1, last))
    distinct([f + 1 for f in out], "--folds")  # named from 1, as the user wrote them
    return out


def setting(text: str) -> tuple[str, str, object]:
    """'magnitude.scope=layer' → ('magnitude', 'scope', 'layer'); the value is JSON when it parses as JSON."""
    target, sep, raw = text.partition("=")
    method, dot, key = target.partition(".")
    if not (sep and dot and method and key):
        raise UserError(f"--set expects METHOD.KEY=VALUE (e.g. magnitude.scope=layer), got {text!r}")
    return method, key, json_or_text(raw)


def settings(texts: list[str]) -> dict[str, dict[str, object]]:
    """Every ``--set`` as {method: {key: value}} (whether each fits its method is the grid's check)."""
    configs: dict[str, dict[str, object]] = {}
    for method, key, value in map(setting, texts):
        configs.setdefault(method, {})[key] = value
    return configs
