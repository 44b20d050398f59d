"""The facts every method chapter states about its build: how many runs, splits and seeds, on which dataset."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

from ..chapters.runs import ChapterRuns
from .format import rate_list

MP, MP_LAYER = "magnitude", "magnitude (scope=layer)"  # one-shot magnitude pruning, global and per layer
GMP = "gradual_magnitude"  # gradual magnitude pruning (Zhu & Gupta's cubic schedule), global
BASELINES = (MP, MP_LAYER, GMP)  # the baselines every method chapter's claim is tested against


def build_facts(prefix: str, chapter: ChapterRuns, dataset: str) -> dict[str, str]:
    """``{prefix}_runs``, ``_folds``, ``_seeds`` (counts), ``_seeds_text`` (the seeds in words, with the
    profile's extra seeds and the rates they ran at) and ``_dataset`` (its name) of a chapter's build."""
    return {f"{prefix}_runs": str(len(chapter.runs)), f"{prefix}_folds": str(len(chapter.folds)),
            f"{prefix}_seeds": str(len(chapter.seeds)), f"{prefix}_seeds_text": seeds_text(chapter.runs, chapter.seeds),
            f"{prefix}_dataset": dataset}  # fmt: skip


def seeds_text(runs: pd.DataFrame, seeds: Sequence[int]) -> str:
    """How many seeds ``runs`` trained with, in words: ``seeds`` at every rate, and the extra seeds that ran at
    some rates only (the paper profile's, at the highest rates), e.g. "1 seed, 3 at 0.98, 0.99, 0.995"."""
    extra = sorted(set(runs["seed"]) - set(seeds)) if len(runs) else []
    text = f"{len(seeds)} seed{'s' if len(seeds) != 1 else ''}"
    if not extra:
        return text
    rates = sorted(set(runs[runs["seed"].isin(extra) & (runs["rate"] > 0)]["rate"]))
    return f"{text}, {len(seeds) + len(extra)} at {rate_list(rates, 'rate 0')}"


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
