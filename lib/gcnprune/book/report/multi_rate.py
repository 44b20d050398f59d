"""The multi-rate chapter's facts and tables: the one MRMP model per split against one model per rate (SRMP)
and magnitude pruning, at the rates it trained for and the others, its training cost, and its cut's drift."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from gcnprune.experiments import summarise
from gcnprune.experiments.cache import load_run
from gcnprune.experiments.config import RunConfig

from ..chapters.grids import TRAINING_RATES
from ..chapters.runs import ChapterRuns
from .claims import SHOWN_RATE, accuracy_cell, claim_against_mp, claim_facts, claim_table
from .facts import GMP, MP, MP_LAYER, build_facts, method_config, method_rates, pruned_rates
from .fidelity import CUT_TOLERANCE, cut_drift, drift_summary
from .format import NOT_COMPARABLE, accuracy_text, mean_std_column, rate_list
from .paired import ladder, ladder_gains
from .paired import ladder_facts as paired_ladder_facts
from .rate_explorer import explorer_html, read_explorer
from .rerun import rerun_card
from .tables import cut_drift_table, summary_table
from .tuning import tuning_table

MRMP, SRMP = "multi_rate", "probabilistic"
MRMP_LAYER, SRMP_LAYER = f"{MRMP} (scope=layer)", f"{SRMP} (scope=layer)"  # one prior per layer: the variants
LADDER = [("global MP", MP), ("gradual MP", GMP), ("PMP: one model per rate", SRMP),
          ("MRMP: one model for all rates", MRMP)]  # fmt: skip
NAMES = {MRMP: "MRMP (one model)", SRMP: "SRMP (one model per rate)", MP: "MP (global)", MP_LAYER: "MP (per layer)"}
Parents = dict[tuple[int, int], tuple[RunConfig, dict[str, Any] | None]]


def training_rates(config: dict) -> list[float]:
    """The rates MRMP trains for (its configuration's, else the library's default)."""

    return sorted(config.get("training_rates", TRAINING_RATES))


def parents(chapter: ChapterRuns) -> Parents:
    """Per (fold, seed), the one trained MRMP model behind every multi_rate run of the default settings (not the
    per-layer variant's), and its metrics (None where the cache lacks it)."""

    found: Parents = {}
    for c in (c for c in chapter.configs if c.method == MRMP and not c.method_config):
        parent = c.parent()
        found.setdefault((c.fold, c.seed), (parent, load_run(parent, chapter.results)))
    return found


def curves(models: Parents) -> list[tuple[list[float], list[float]]]:
    """Each MRMP model's accuracy against the rate it is cut at."""
    return [(m["curve"]["rates"], m["curve"]["accuracy"]) for _, m in models.values() if m is not None and "curve" in m]


def _trained_for(rate: float, rates: Sequence[float]) -> bool:
    return any(np.isclose(rate, t) for t in rates)


def accuracy_table(summary: pd.DataFrame, rates: Sequence[float]) -> pd.DataFrame:
    """Per target rate > 0: the accuracy (mean ± std) of MRMP, SRMP and both MP variants, and whether MRMP
    trained for that rate (``rates``)."""
    cells = summary[summary["method"].isin(list(NAMES)) & (summary["rate"] > 0)]
    cells = cells.assign(cell=mean_std_column(cells))
    table = (
        cells.pivot(index="rate", columns="method", values="cell").reindex(columns=list(NAMES)).rename(columns=NAMES)
    )
    table["MRMP trained for it"] = ["yes" if _trained_for(r, rates) else "no" for r in table.index]
    table.index = [f"{r:g}" for r in table.index]
    table.index.name = "target rate"
    return table.astype(object).fillna("")


def cost_table(runs: pd.DataFrame, models: Parents, rates: Sequence[float]) -> pd.DataFrame:
    """Per split and seed: the training seconds of the one MRMP model and of the SRMP models at the rates it
    trained for (their number, the ratio SRMP / MRMP, and MRMP against one SRMP run of the same epochs,
    the cost of the one-shot model against one model per rate)."""
    rows = []
    for (fold, seed), (_, metrics) in sorted(models.items()):
        srmp = runs[(runs["method"] == SRMP) & (runs["fold"] == fold) & (runs["seed"] == seed)
                    & runs["rate"].apply(lambda r: _trained_for(r, rates))]  # fmt: skip
        if metrics is None:
            continue
        rows.append(
            {
                "split": fold + 1,
                "seed": seed,
                "MRMP (one model) s": metrics["train_seconds"],
                "SRMP (one model per training rate) s": srmp["train_seconds"].sum(),
                "SRMP models": len(srmp),
            }
        )
    cost = pd.DataFrame(rows)
    if len(cost):
        cost["SRMP / MRMP"] = cost["SRMP (one model per training rate) s"] / cost["MRMP (one model) s"]
        cost["MRMP / one SRMP run"] = (
            cost["MRMP (one model) s"] * cost["SRMP models"] / cost["SRMP (one model per training rate) s"]
        )
    return cost


def cost_display(cost: pd.DataFrame) -> pd.DataFrame:
    """:func:`cost_table` with a row of means, indexed by split and seed, to 2 decimals."""
    mean = cost.mean(numeric_only=True).to_frame().T.assign(split="mean", seed="")
    return pd.concat([cost, mean]).set_index(["split", "seed"]).round(2)


def cost_facts(cost: pd.DataFrame, rates: Sequence[float]) -> dict[str, str]:
    """The chapter's training-cost values from :func:`cost_table`: MRMP's mean seconds and its ratio to one SRMP
    run over every model, and the SRMP sum only where SRMP ran at every one of the training ``rates`` (the
    extra seeds of the paper profile run only the highest rates, so their sums cover fewer models)."""
    complete = cost[cost["SRMP models"] == len(rates)] if len(cost) else cost

    def mean(column: str, fmt: str, rows: pd.DataFrame) -> str:
        return fmt.format(rows[column].mean()) if len(rows) else "(no run)"

    return {
        "mr_cost_mrmp": mean("MRMP (one model) s", "{:.1f} s", cost),
        "mr_cost_one": mean("MRMP / one SRMP run", "{:.2f}", cost),
        "mr_cost_srmp": mean("SRMP (one model per training rate) s", "{:.1f} s", complete),
        "mr_cost_ratio": mean("SRMP / MRMP", "{:.2f}", complete),
        "mr_cost_models": str(len(rates)),
        "mr_cost_complete": str(len(complete)),
    }


def mean_gap(summary: pd.DataFrame, rates: Sequence[float]) -> str:
    """MRMP's mean accuracy minus SRMP's, averaged over those of ``rates`` where both ran, in words."""
    cells = [(accuracy_cell(summary, MRMP, r), accuracy_cell(summary, SRMP, r)) for r in rates]
    diffs = [a[0] - b[0] for a, b in cells if a and b]
    return f"{np.mean(diffs):+.1f} points on average over {len(diffs)} rate(s)" if diffs else NOT_COMPARABLE


def facts(chapter: ChapterRuns, summary: pd.DataFrame, dataset: str, profile: str) -> dict[str, str]:
    """Every value the chapter glues."""
    runs, config = chapter.runs, method_config(chapter, MRMP)
    trained = training_rates(config)
    cost = cost_table(runs, parents(chapter), trained)
    seen = [r for r in pruned_rates(summary) if _trained_for(r, trained)]
    unseen = [r for r in pruned_rates(summary) if r not in seen]
    drift = cut_drift(runs, [MRMP, SRMP], tolerance=CUT_TOLERANCE)

    return {
        **build_facts("mr", chapter, dataset),
        **claim_facts("mr", summary, MRMP, profile, chapter.folds, chapter.seeds, chapter.runs),
        "mr_98_srmp": accuracy_text(accuracy_cell(summary, SRMP, SHOWN_RATE)),
        "mr_gap_seen": mean_gap(summary, seen),
        "mr_gap_unseen": mean_gap(summary, unseen),
        "mr_rates": rate_list(method_rates(runs, [SRMP]), "no rate"),
        "mr_training_rates": rate_list(trained, ""),
        "mr_unseen": rate_list(unseen, "(none in this build)"),
        "mr_weights": "equal"
        if not config.get("rate_weights")
        else ", ".join(f"{w:g}" for w in config["rate_weights"]),
        "mr_sample": "one rate sampled per step" if config.get("sample") else "summed over all rates at every step",
        "mr_family": config.get("family", "?"),
        "mr_eta": f"{config.get('alignment_weight', float('nan')):g}",
        "mr_threshold": {"prior": "prior's-quantile", "empirical": "empirical"}.get(config.get("threshold"), "?"),
        "mr_alignment": {"quantile": "quantile (Wasserstein)", "kl": "kernel KL"}.get(config.get("alignment"), "?"),
        **cost_facts(cost, trained),
        "mr_cut_mrmp": drift_summary(drift, MRMP, CUT_TOLERANCE),
        "mr_cut_srmp": drift_summary(drift, SRMP, CUT_TOLERANCE),
    }


def ladder_facts(table: pd.DataFrame) -> dict[str, str]:
    """The ladder's three steps in words: gradual MP over one-shot global MP, PMP over gradual MP, and what
    sharing one model across rates changes."""
    return paired_ladder_facts("mr", table, {"gmp": LADDER[1][0], "pmp": LADDER[2][0], "shared": LADDER[3][0]})


# the names the multi-rate notebook uses
__all__ = ["CUT_TOLERANCE", "GMP", "LADDER", "MP", "MP_LAYER", "MRMP", "MRMP_LAYER", "NAMES", "SRMP", "SRMP_LAYER",
           "accuracy_table", "claim_against_mp", "claim_table", "cost_display", "cost_table", "curves", "cut_drift",
           "cut_drift_table", "explorer_html", "facts", "ladder", "ladder_facts", "ladder_gains", "method_config",
           "parents", "read_explorer", "rerun_card", "summarise", "summary_table", "training_rates",
           "tuning_table"]  # fmt: skip
