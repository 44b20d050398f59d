"""Precompute the multi-rate chapter's rate explorer: the committed SBU MRMP model (fold 1, seed 0, paper
profile) cut at each rate of its accuracy curve, with what survives there. Writes ``models/sbu/rate_explorer.json``,
which the chapter embeds in its page (a slider that works offline, without a kernel).

For each rate r of the curve: the accuracy its training run measured (its metrics' curve), the kept weights,
the compact model's bytes and its surviving units (heads, channels, hidden units), and for each joint the
share of the hidden layer's weights reading it that are kept. The MRMP network at r keeps the
round((1 - r) n) weights of largest latent magnitude, network-wide, exactly as the chapter's runs evaluate it.
Needs the SBU data and the training run's weights (it trains them where they are missing).
Example: python scripts/rate_explorer.py --data ../shared/data/sbu
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from gcnprune.book.chapters.grids import chapter_grids
from gcnprune.data import load_dataset
from gcnprune.deploy.compaction import compact_model, structure_summary
from gcnprune.experiments.cache import load_run
from gcnprune.experiments.repo import REPO_ROOT
from gcnprune.experiments.runner import prepare
from gcnprune.masks import MagnitudeRanking, get_mask, latent_weights, set_mask


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", required=True, help="the SBU folder")
    parser.add_argument("--results", default="results")
    parser.add_argument("--out", default=str(REPO_ROOT / "models" / "sbu" / "rate_explorer.json"))
    args = parser.parse_args()
    grid = chapter_grids("multi-rate", "sbu", "paper", [0])[0]
    config = next(c for c in grid.configs(args.data) if c.method == "multi_rate" and c.seed == 0)
    model, trainer, _ = prepare(config, args.results, args.data, False)  # the trained MRMP model restored
    training = load_run(config.parent(), args.results)
    curve = training["curve"]
    model.eval()
    ranking = MagnitudeRanking(latent_weights(model), "global")
    joints, graph = model.graph_conv.adjacency.shape[0], model.config.graph_channels
    out = {"run": config.parent().run_hash(), "fold": config.fold, "seed": config.seed, "rates": curve["rates"],
           "accuracy": curve["accuracy"], "kept_weights": [], "bytes": [], "units": {}, "joint_share": []}  # fmt: skip
    for rate in curve["rates"]:
        set_mask(model, ranking.mask(rate))
        mask = get_mask(model)
        out["kept_weights"].append(int(mask.num_nonzero()))
        compact = compact_model(model)
        out["bytes"].append(len(compact.to_bytes()))
        for kind, (dense, kept) in structure_summary(compact).items():
            out["units"].setdefault(kind, {"dense": dense, "kept": []})["kept"].append(kept)
        hidden = mask["hidden"].view(-1, joints, graph)  # its columns read (joint, channel) pairs
        out["joint_share"].append([round(float(v), 4) for v in hidden.float().mean(dim=(0, 2))])
    sbu = load_dataset("sbu", args.data)
    pose = np.mean([s[0] for s in sbu.sequences[:50]], axis=0)  # a mean first frame: where the joints sit
    out["skeleton"] = {"x": pose[:, 0].round(4).tolist(), "y": pose[:, 1].round(4).tolist(),
                       "bones": [list(b) for b in sbu.bones]}  # fmt: skip
    Path(args.out).write_text(json.dumps(out, separators=(",", ":")) + "\n")
    print(f"wrote {args.out}: {len(out['rates'])} rates, {Path(args.out).stat().st_size} bytes")


if __name__ == "__main__":
    main()
