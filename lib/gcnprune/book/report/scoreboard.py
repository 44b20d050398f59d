"""The landing page's scoreboard: for each of the four papers' claims, this build's paired verdict against the
strongest magnitude baseline, the paired gain over it at the main rates, and which ingredient of the ablation
ladder earns it; and one figure of every method's accuracy against the pruning rate."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gcnprune.experiments import summarise

from ..chapters.runs import ChapterRuns
from ..names import readable
from . import multi_rate, phase_field, probabilistic, topological
from .claims import claim_check, verdict
from .committed_models import MODELS_DIR, bench_facts, head_facts, read_bench
from .facts import BASELINES, GMP, MP, high_rates
from .paired import ladder, paying

MAIN_RATES = (0.98, 0.99)  # the rates the scoreboard quotes: where the papers' claims are made and methods part


@dataclass(frozen=True)
class Claim:
    """One paper's claim: its short name, the method label of its runs, its chapter and its ablation ladder."""

    paper: str
    method: str
    chapter: str
    rungs: list[tuple[str, str]]


CLAIMS = [
    Claim("Phase-field models", phase_field.PFM, "phase-field", phase_field.LADDER),
    Claim("Topologically consistent pruning", topological.TC, "topological", topological.LADDER),
    Claim("Probabilistic magnitude pruning", probabilistic.PMP, "probabilistic", probabilistic.LADDER),
    Claim("One-shot multi-rate pruning", multi_rate.MRMP, "multi-rate", multi_rate.LADDER),
]
FIGURE_METHODS = [MP, GMP, phase_field.PFM, topological.TC, probabilistic.PMP, multi_rate.MRMP]


def _present(runs: pd.DataFrame, method: str, rate: float) -> bool:
    return bool(((runs["method"] == method) & np.isclose(runs["rate"], rate)).any())


def earned_by(runs: pd.DataFrame, claim: Claim, rate: float) -> str:
    """The rungs of ``claim``'s ladder whose paired gain over the rung below is shown at ``rate``, in words; "no
    rung" where none is, "not run" where the ladder is not."""
    table = ladder(runs, claim.rungs, [rate])
    if not len(table):
        return "not run"
    names = paying(table)
    return ", ".join(names) if names else "no rung"


def scoreboard(chapter: ChapterRuns, summary: pd.DataFrame) -> pd.DataFrame:
    """One row per claim: the verdict against the strongest of the magnitude baselines at every rate ≥ 0.95
    (paired, as each chapter computes it), and at each of :data:`MAIN_RATES` the paired gain over the
    strongest baseline there (its name, the mean and 95 % t interval in points) and the ladder's rungs that
    pay."""
    runs = chapter.runs
    rows = []
    for claim in CLAIMS:
        row: dict[str, str] = {"paper's claim": f"{claim.paper} ({readable(claim.method)})"}
        check = claim_check(summary, claim.method, list(BASELINES), high_rates(summary), runs=runs)
        row["verdict (every rate ≥ 0.95)"] = verdict(check)
        for rate in MAIN_RATES:
            at = check[np.isclose(check["rate"], rate)] if len(check) else check
            if len(at) and _present(runs, claim.method, rate):
                best = at.iloc[0]
                row[f"gain at {rate:g} over the strongest baseline (points)"] = (
                    f"{best['interval']} over {readable(best['strongest'])}"
                )
                row[f"what earns it at {rate:g}"] = earned_by(runs, claim, rate)
            else:
                row[f"gain at {rate:g} over the strongest baseline (points)"] = "not run"
                row[f"what earns it at {rate:g}"] = "not run"
        rows.append(row)
    return pd.DataFrame(rows).set_index("paper's claim")


def scoreboard_facts(table: pd.DataFrame) -> dict[str, str]:
    """``score_reproduced`` (how many of the four claims this build reproduces, in words) and ``score_rates``."""
    verdicts = table["verdict (every rate ≥ 0.95)"].tolist() if len(table) else []
    full = sum(v == "reproduces" for v in verdicts)
    part = sum(v == "partly reproduces" for v in verdicts)
    return {"score_reproduced": f"{full} of {len(verdicts)}", "score_partly": f"{part} of {len(verdicts)}",
            "score_rates": ", ".join(f"{r:g}" for r in MAIN_RATES)}  # fmt: skip


# the names the landing page uses
def speed_facts() -> dict[str, str]:
    """What pruning buys in speed, as the introduction cites it: the committed SBU benchmark's figures
    (:func:`~.committed_models.bench_facts`, :func:`~.committed_models.head_facts`), whatever dataset the build uses."""
    bench, record = read_bench(MODELS_DIR)
    return {**bench_facts(bench, record), **head_facts(bench)}


__all__ = ["CLAIMS", "FIGURE_METHODS", "MAIN_RATES", "earned_by", "scoreboard", "scoreboard_facts", "speed_facts",
           "summarise"]  # fmt: skip
