"""The magnitude-pruning chapter's facts: its accuracies and dangling weights, and the table of each layer's
fan-in, share of the weights, weight sizes and the share a global threshold keeps."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import torch

from gcnprune.experiments import summarise
from gcnprune.experiments.cache import saved_weights
from gcnprune.experiments.profiles import get_profile
from gcnprune.graphs import normalised_adjacency
from gcnprune.masks import latent_weights, magnitude_mask
from gcnprune.model import GCN
from gcnprune.train import seed_everything

from ..chapters.runs import ChapterRuns
from .claims import accuracy_cell
from .committed_models import dense_run, load_model, trained_dense_weights
from .facts import GMP, MP, MP_LAYER, build_facts, pruned_rates
from .format import accuracy_text, gap
from .paired import ladder, paying_rungs, rung_sentence
from .rerun import rerun_card
from .tables import summary_table
from .tuning import author_ingredients, dense_record_facts, dense_tuning_table

SHORT_NAMES = {
    "attention.query": "query",
    "attention.key": "key",
    "attention.value": "value",
    "attention.adjacency_value": "adjacency value",
    "graph_conv.linear": "graph conv",
    "hidden": "hidden",
}
GRADUAL = [("one-shot global MP", MP), ("gradual MP", GMP)]  # the two rungs of the gradual schedule's test
TABLE_RATES = (0.9, 0.98, 0.99)  # the rates the layer table shows, those of them the build ran


@dataclass(frozen=True)
class LayerWeights:
    """The dense network's prunable weights at initialisation and, trained, from the cache or the committed
    compact model of the SBU benchmark's dense run (None where neither is at hand), with where they come from
    in words."""

    initial: dict[str, torch.Tensor]
    trained: dict[str, torch.Tensor] | None
    source: str

    @property
    def pruned(self) -> dict[str, torch.Tensor]:
        """The weights the layer table prunes: the trained ones where there are, else those at initialisation."""
        return self.trained if self.trained is not None else self.initial


def layer_weights(chapter: ChapterRuns, profile: str, seed: int) -> LayerWeights:
    """The dense run's prunable weights: the network built as the dense run builds it (``seed``'s
    initialisation), and its trained weights from the cache where present (git keeps none), else, for the SBU
    book under the paper profile, from the committed compact model of the benchmark's dense run (fold 1, seed 1),
    which holds the trained dense network whole."""

    info, p = chapter.info, get_profile(profile)
    seed_everything(seed)  # the dense run's initialisation
    model = GCN(
        info.num_joints, p.features.signal_size(), info.num_classes, normalised_adjacency(info.adjacency()), p.model
    )
    initial = {name: w.detach().clone() for name, w in latent_weights(model).items()}
    dense = next(c for c in chapter.configs if c.method == "dense")
    state = saved_weights(dense, chapter.results)
    if state is not None:
        model.load_state_dict(state)
        trained = {name: w.detach().clone() for name, w in latent_weights(model).items()}
        return LayerWeights(initial, trained, f"computed on the trained dense network of fold {dense.fold + 1}")
    committed = dense_run() if (dense.dataset, profile) == ("sbu", "paper") else None
    if committed is not None:
        run, row = committed
        trained = trained_dense_weights(load_model(run))
        return LayerWeights(initial, trained, f"computed on the trained dense network of fold {int(row['fold']) + 1}, "
                            f"seed {int(row['seed'])} (its committed compact model)")  # fmt: skip
    return LayerWeights(initial, None, "computed at initialisation (no trained dense network is at hand)")


def table_rates(summary: pd.DataFrame) -> list[float]:
    """:data:`TABLE_RATES` that the build ran, else its two highest pruning rates."""
    return [r for r in TABLE_RATES if r in set(summary["rate"])] or pruned_rates(summary)[-2:]


def kept_shares(weights: LayerWeights, rates: list[float]) -> dict[float, dict[str, float]]:
    """Per rate, the share of each layer's weights that global magnitude pruning of :attr:`LayerWeights.pruned`
    keeps."""

    return {
        r: {layer: 1 - rate for layer, rate in magnitude_mask(weights.pruned, r, "global").layer_rates().items()}
        for r in rates
    }


def layer_table(weights: LayerWeights, kept: dict[float, dict[str, float]]) -> pd.DataFrame:
    """One column per layer: its shape, fan-in, 1/√fan-in, share of the prunable weights, mean |w| at
    initialisation (and trained) and the percentage kept at each rate of ``kept``."""
    initial = weights.initial
    total = sum(w.numel() for w in weights.pruned.values())
    layers = pd.DataFrame({
        "shape": {n: f"{w.shape[0]} × {w.shape[1]}" for n, w in initial.items()},
        "fan-in": {n: f"{w.shape[1]:,}" for n, w in initial.items()},
        "1/√fan-in": {n: f"{w.shape[1] ** -0.5:.3f}" for n, w in initial.items()},
        "share of weights (%)": {n: f"{100 * w.numel() / total:.1f}" for n, w in initial.items()},
        "mean |w|, init": {n: f"{w.abs().mean():.4f}" for n, w in initial.items()},
    })  # fmt: skip
    if weights.trained is not None:
        layers["mean |w|, trained"] = {n: f"{w.abs().mean():.4f}" for n, w in weights.trained.items()}
    for r, shares in kept.items():
        layers[f"kept at {r:g} (%)"] = {n: f"{100 * shares[n]:.1f}" for n in initial}
    return layers.rename(index=SHORT_NAMES).T


def emptied_text(kept: dict[float, dict[str, float]]) -> str:
    """The first rate of ``kept`` at which a global threshold empties a layer, and which layers, in words."""
    emptied = [(r, n) for r, shares in kept.items() for n, share in shares.items() if share == 0]
    if not emptied:
        return "at these rates it empties no layer"
    first = [SHORT_NAMES[n] for r, n in emptied if r == emptied[0][0]]
    return (
        f"at rate {emptied[0][0]:g} it already empties the {' and '.join(first)} layer{'s' if len(first) > 1 else ''}"
    )


def dangling_text(summary: pd.DataFrame, method: str) -> str:
    """The first rate at which ``method`` keeps dangling weights (more than 0.1 % of those kept), and the most
    it keeps, in words."""
    rows = summary[(summary["method"] == method) & (summary["rate"] > 0)]
    first = rows[rows["dangling_fraction"] > 0.001]["rate"].min() if len(rows) else float("nan")
    if pd.isna(first):
        return "at none of this build's rates"
    worst = rows.loc[rows["dangling_fraction"].idxmax()]
    return (f"from rate {first:g} on, at most {100 * worst['dangling_fraction']:.1f} % of the kept weights "
            f"(at rate {worst['rate']:g})")  # fmt: skip


def layer_facts(weights: LayerWeights, kept: dict[float, dict[str, float]]) -> dict[str, str]:
    """The fan-ins and scales the chapter quotes, and what the layer table shows."""
    fan = {n: w.shape[1] for n, w in weights.initial.items()}
    total = sum(w.numel() for w in weights.initial.values())
    source = weights.source
    return {
        "mp_fanin_in": f"{fan['attention.query']:,}",
        "mp_fanin_hidden": f"{fan['hidden']:,}",
        "mp_scale_ratio": f"{(fan['hidden'] / fan['attention.query']) ** 0.5:.1f}",
        "mp_hidden_share": f"{100 * weights.initial['hidden'].numel() / total:.0f} %",
        "mp_emptied": emptied_text(kept),
        "mp_weights_source": source,
    }


def facts(chapter: ChapterRuns, summary: pd.DataFrame, dataset: str) -> dict[str, str]:
    """Every accuracy and count the chapter glues but the layer table's (:func:`layer_facts`)."""
    rates = pruned_rates(summary)
    top = rates[-1] if rates else None
    dense = accuracy_cell(summary, "dense", 0.0)
    found = {**build_facts("mp", chapter, dataset), "mp_rates": str(len(rates)), "mp_dense": accuracy_text(dense)}
    for rate, key in ((0.9, "90"), (0.99, "99")):
        pruned = accuracy_cell(summary, MP, rate)
        found[f"mp_{key}"] = accuracy_text(pruned)
        found[f"mp_gap_{key}"] = gap(pruned, dense, "the dense network")
    top_global = accuracy_cell(summary, MP, top) if top is not None else None
    top_layer = accuracy_cell(summary, MP_LAYER, top) if top is not None else None
    found.update({
        "mp_top": f"{top:g}" if top is not None else "(none)",
        "mp_top_global": accuracy_text(top_global),
        "mp_top_layer": accuracy_text(top_layer),
        "mp_top_gap": gap(top_layer, top_global, "global MP"),
        "mp_dangling_global": dangling_text(summary, MP),
        "mp_dangling_layer": dangling_text(summary, MP_LAYER),
    })  # fmt: skip
    return found


def gradual_ladder(runs: pd.DataFrame) -> pd.DataFrame:
    """Gradual MP's paired gain over one-shot global MP (:func:`~gcnprune.book.report.paired.ladder`) at every
    rate of at least 0.95 where both ran: what the cubic schedule alone earns."""
    rates = sorted(set(runs[runs["method"] == GMP]["rate"]) & set(runs[runs["method"] == MP]["rate"]))
    return ladder(runs, GRADUAL, [r for r in rates if r >= 0.95])


def gradual_facts(table: pd.DataFrame) -> dict[str, str]:
    """``mp_gmp_gain`` (gradual MP over one-shot global MP, rate by rate, in words) and ``mp_gmp_paying`` (the
    rates where the interval shows it)."""
    return {"mp_gmp_gain": rung_sentence(table, GRADUAL[1][0]), "mp_gmp_paying": paying_rungs(table)}


# the names the magnitude-pruning notebook uses
__all__ = ["author_ingredients", "dense_record_facts", "dense_tuning_table", "facts", "gradual_facts",
           "gradual_ladder", "kept_shares", "layer_facts", "layer_table", "layer_weights", "rerun_card", "summarise",
           "summary_table", "table_rates"]  # fmt: skip
