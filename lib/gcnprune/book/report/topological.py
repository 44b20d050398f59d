"""The topological chapter's facts: TC's hyperparameters, the dangling weights of the toy network and of the
runs, TC's claim against magnitude pruning and how closely its evaluated network matches its soft masks."""

from __future__ import annotations

import pandas as pd
import torch

from gcnprune.experiments import summarise
from gcnprune.unit_graph import dangling_fraction

from ..chapters.runs import ChapterRuns
from .claims import claim_against_mp, claim_facts, claim_table
from .facts import GMP, MP, MP_LAYER, build_facts, method_config, method_rates
from .fidelity import soft_mask_fidelity
from .format import NOT_RUN, mean_std_column, rate_list
from .paired import ladder, ladder_gains
from .paired import ladder_facts as paired_ladder_facts
from .rerun import rerun_card
from .soft_masks import soft_mask_facts
from .tables import soft_mask_table, summary_table
from .toy_network import ToyPruning, toy_pruning
from .tuning import tuning_table

TC = "topological"
# the exact budget alone: the PFM chapter's runs
LADDER = [("global MP", MP), ("gradual MP", GMP), ("exact budget alone", "budget"), ("TC: + accessibility", TC)]
NAMES = {MP: "MP (global)", MP_LAYER: "MP (per layer)", TC: "TC"}  # the dangling table's column names


def toy_dangling(toy: ToyPruning) -> dict[str, float]:
    """The dangling fraction of each selection rule's mask of the toy network."""

    return {rule: dangling_fraction({n: torch.as_tensor(m) for n, m in masks.items()}, toy.shapes, toy.heads)
            for rule, masks in toy.masks.items()}  # fmt: skip


def dangling_table(summary: pd.DataFrame, runs: pd.DataFrame) -> pd.DataFrame:
    """Per target rate > 0: accuracy (mean ± std) and the percentage of dangling kept weights of global MP,
    per-layer MP and TC, and, where TC's runs recorded it, that of global MP applied to TC's trained weights."""
    rows = summary[summary["method"].isin(list(NAMES))]

    def pivot(values: pd.DataFrame | pd.Series, column: str) -> pd.DataFrame:
        table = rows.assign(**{column: values}).pivot(index="rate", columns="method", values=column)
        return table.reindex(columns=list(NAMES)).rename(columns=NAMES)

    table = pd.concat(
        {
            "accuracy (%)": pivot(pd.Series(mean_std_column(rows), index=rows.index), "cell"),
            "dangling kept weights (%)": pivot(rows["dangling_fraction"], "dangling_fraction").map(
                lambda f: f"{100 * f:.1f}"
            ),
        },
        axis=1,
    )
    if "magnitude_dangling_fraction" in runs:
        own = runs[runs["method"] == TC].groupby("rate")["magnitude_dangling_fraction"].mean()
        table[("dangling kept weights (%)", "MP (global) on TC's weights")] = own.map(lambda f: f"{100 * f:.1f}")
    table = table[table.index > 0]
    table.index = [f"{r:g}" for r in table.index]
    table.index.name = "target rate"
    return table.astype(object).fillna("")


def dangling_facts(summary: pd.DataFrame) -> dict[str, str]:
    """The most dangling weights global MP keeps at any rate (and where), and the most TC keeps."""
    mp_rows = summary[(summary["method"] == MP) & (summary["rate"] > 0)]
    worst = mp_rows.loc[mp_rows["dangling_fraction"].idxmax()] if len(mp_rows) else None
    tc_rows = summary[(summary["method"] == TC) & (summary["rate"] > 0)]
    return {
        "tc_mp_dangling": (
            NOT_RUN
            if worst is None
            else f"{100 * worst['dangling_fraction']:.1f} % of its kept weights at rate {worst['rate']:g}"
        ),
        "tc_tc_dangling": NOT_RUN if tc_rows.empty else f"{100 * tc_rows['dangling_fraction'].max():.1f} %",
    }


def facts(chapter: ChapterRuns, summary: pd.DataFrame, dataset: str, profile: str, toy: ToyPruning) -> dict[str, str]:
    """Every value the chapter glues."""
    config, dangling = method_config(chapter, TC), toy_dangling(toy)
    return {
        **build_facts("tc", chapter, dataset),
        **claim_facts("tc", summary, TC, profile, chapter.folds, chapter.seeds, chapter.runs),
        **dangling_facts(summary),
        **soft_mask_facts("tc", soft_mask_fidelity(chapter.runs, [TC])),
        "tc_rates": rate_list(method_rates(chapter.runs, [TC]), ""),
        "tc_kappa": f"{config['kappa']:g}",
        "tc_lambda": f"{config['budget_weight']:g}",
        "tc_t0": f"{config['temperature_start']:g}",
        "tc_t1": f"{config['temperature_end']:g}",
        "tc_scope": config["threshold"],
        "tc_ramp": f"{config['rate_ramp']:g}",
        "tc_toy_rate": f"{toy.rate:g}",
        "tc_toy_mp": f"{100 * dangling['magnitude pruning']:.0f} %",
        "tc_toy_tc": f"{100 * dangling['topologically consistent']:.0f} %",
    }


def ladder_facts(table: pd.DataFrame) -> dict[str, str]:
    """The ladder's three steps in words: what gradual MP earns over one-shot global MP, the exact budget over
    it, and accessibility over the budget."""
    return paired_ladder_facts("tc", table, {"gmp": LADDER[1][0], "budget": LADDER[2][0], "access": LADDER[3][0]})


# the names the topological notebook uses
__all__ = ["LADDER", "MP", "MP_LAYER", "TC", "claim_against_mp", "claim_table", "dangling_table", "facts", "ladder",
           "ladder_facts", "ladder_gains", "rerun_card", "soft_mask_fidelity", "soft_mask_table", "summarise",
           "summary_table", "toy_pruning", "tuning_table"]  # fmt: skip
