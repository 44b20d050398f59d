"""The "what pruning buys" chapter's names: the committed compact models, their benchmark and the data they classify."""

from __future__ import annotations

import pandas as pd

from gcnprune.data import data_folder
from gcnprune.deploy.bench import display_table

from ..names import readable
from .committed_models import MODELS_DIR, bench_facts, head_facts, load_model, read_bench, test_sequences, unit_table


def reading_table(bench: pd.DataFrame) -> pd.DataFrame:
    """The benchmark as readers see it (:func:`gcnprune.deploy.bench.display_table`, methods by their readable
    names), indexed by method, rate and format."""
    table = display_table(bench).drop(columns="run").assign(method=lambda t: t["method"].map(readable))
    return table.set_index(["method", "rate", "format"])


# the names the what-pruning-buys notebook uses
__all__ = ["MODELS_DIR", "bench_facts", "data_folder", "display_table", "head_facts", "load_model", "read_bench",
           "reading_table", "test_sequences", "unit_table"]  # fmt: skip
