"""The lightweight-design chapter's facts: where the parameters and multiply-adds sit, what global and
per-layer MP leave of the hidden layer, and how the smallest design compares with pruning."""

from __future__ import annotations

import pandas as pd
import torch

from gcnprune.experiments.profiles import get_profile
from gcnprune.masks import latent_weights
from gcnprune.model import GCN

from .committed_models import dense_run, load_model, trained_dense_weights
from .layer_costs import layer_costs, pruning_patterns
from .rerun import rerun_card


def pattern_weights(model: GCN, dataset: str) -> tuple[dict[str, torch.Tensor], str]:
    """The weights the pruning-pattern table prunes, and where they come from in words: on SBU, the trained dense
    network committed as the benchmark's compact model where it has ``model``'s shapes (a trained network's
    property is computed on a trained network); else ``model``'s own, at initialisation."""
    initial = {name: w.detach() for name, w in latent_weights(model).items()}
    committed = dense_run() if dataset == "sbu" else None
    if committed is not None:
        trained = trained_dense_weights(load_model(committed[0]))
        if {n: tuple(w.shape) for n, w in trained.items()} == {n: tuple(w.shape) for n, w in initial.items()}:
            row = committed[1]
            return trained, f"the trained dense network of fold {int(row['fold']) + 1}, seed {int(row['seed'])}"
    return initial, "the profile's network at initialisation (no trained dense network of its shape is at hand)"


def cost_facts(costs: pd.DataFrame) -> dict[str, str]:
    """Totals, and the layers holding most parameters and most multiply-adds
    (:func:`gcnprune.book.report.layer_costs.layer_costs`)."""
    top_p, top_m = costs["parameters"].idxmax(), costs["multiply-adds"].idxmax()
    where = (
        ": parameters and computation sit in different places, because a projection's weights are applied once "
        "per joint while the hidden layer's are applied once per sequence"
        if top_p != top_m
        else ", the same layer"
    )
    return {
        "lw_params": f"{costs['parameters'].sum():,}",
        "lw_macs": f"{costs['multiply-adds'].sum():,}",
        "lw_top_params": f"{top_p} ({costs.loc[top_p, 'parameters (%)']:.0f} %)",
        "lw_top_macs": f"{top_m} ({costs.loc[top_m, 'multiply-adds (%)']:.0f} %)",
        "lw_where": where,
        "lw_prunable_macs": f"{costs.loc[costs['prunable'], 'multiply-adds (%)'].sum():.0f} %",
    }


def pattern_facts(patterns: pd.DataFrame, rate: float) -> dict[str, str]:
    """The hidden layer's output units left by global and per-layer MP at ``rate``
    (:func:`gcnprune.book.report.layer_costs.pruning_patterns`)."""
    total = patterns.loc["hidden", ("", "output units")]
    facts = {"lw_rate": f"{rate:g}"}
    for scope in ("global", "layer"):
        facts[f"lw_{scope}_hidden"] = f"{patterns.loc['hidden', (f'MP, {scope}', 'output units left')]} of {total}"
    return facts


def design_facts(summary: pd.DataFrame, pruned: pd.DataFrame, profile: str, points: int, folds: tuple[int, ...],
                 mp_rates: tuple[float, ...]) -> dict[str, str]:  # fmt: skip
    """The design grid's facts: where it ran (its 0-based ``folds``), its size, and its smallest design against MP
    at the highest rate (``summary``: :func:`gcnprune.book.chapters.design.design_summary`; ``pruned``: MP's runs)."""
    small = summary.loc[summary["parameters"].idxmin()]
    top = pruned[pruned["rate"] == max(mp_rates)]
    delta = round(float(small["Δ accuracy (points)"]), 1)
    side = f"{abs(delta):.1f} points {'above' if delta > 0 else 'below'}" if delta else "level with"
    return {
        "lw_design_where": f"fold {folds[0] + 1} alone" if len(folds) == 1 else f"{len(folds)} splits",
        "lw_profile": profile,
        "lw_epochs": str(get_profile(profile).train.epochs),
        "lw_points": str(points),
        "lw_small": str(small.name),
        "lw_mp_rates": ", ".join(f"{r:g}" for r in mp_rates),
        "lw_small_ratio": f"{1 / small['relative size']:.1f}",
        "lw_small_delta": side,
        "lw_mp_size": f"{top['params_nonzero'].mean():,.0f}",
        "lw_mp_acc": f"{100 * top['accuracy'].mean():.1f} %",
        "lw_small_size": f"{int(small['parameters']):,}",
        "lw_small_acc": f"{small['accuracy']:.1f} %",
    }


# the names the designing-a-lightweight-gcn notebook uses
__all__ = ["cost_facts", "design_facts", "latent_weights", "layer_costs", "pattern_facts", "pattern_weights",
           "pruning_patterns", "rerun_card"]  # fmt: skip
