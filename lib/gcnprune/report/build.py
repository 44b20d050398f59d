"""The facts every method chapter states about its build: how many runs, splits and seeds, on which dataset."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..chapters import ChapterRuns

MP, MP_LAYER = "magnitude", "magnitude (scope=layer)"  # the two baselines every method chapter compares with


def build_facts(prefix: str, chapter: ChapterRuns, dataset: str) -> dict[str, str]:
    """``{prefix}_runs``, ``_folds``, ``_seeds`` (counts) and ``_dataset`` (its name) of a chapter's build."""
    return {f"{prefix}_runs": str(len(chapter.runs)), f"{prefix}_folds": str(len(chapter.folds)),
            f"{prefix}_seeds": str(len(chapter.seeds)), f"{prefix}_dataset": dataset}  # fmt: skip


def method_config(chapter: ChapterRuns, method: str) -> dict[str, Any]:
    """The hyperparameters (every default filled in) ``method`` ran with in this chapter; {} when it did not
    run."""
    configs = [c for c in chapter.configs if c.method == method]
    return configs[0].resolved()["method_config"] if configs else {}


def pruned_rates(summary: pd.DataFrame) -> list[float]:
    """The summary's target rates above 0, in increasing order."""
    return sorted(set(summary["rate"]) - {0.0})


def high_rates(summary: pd.DataFrame, lowest: float = 0.95) -> list[float]:
    """The summary's target rates of at least ``lowest``, where the papers make their claims."""
    return [r for r in pruned_rates(summary) if r >= lowest]


def method_rates(runs: pd.DataFrame, methods: Iterable[str]) -> list[float]:
    """The target rates at which any of ``methods`` ran, in increasing order."""
    return sorted(set(runs[runs["method"].isin(list(methods))]["rate"]))
