"""The "what pruning buys" chapter's names: the committed compact models, their benchmark and the data they classify."""

from __future__ import annotations

from gcnprune.data import data_folder
from gcnprune.deploy.bench import display_table

from .committed_models import MODELS_DIR, bench_facts, load_model, read_bench, test_sequences, unit_table

# the names the what-pruning-buys notebook uses
__all__ = ["MODELS_DIR", "bench_facts", "data_folder", "display_table", "load_model", "read_bench",
           "test_sequences", "unit_table"]  # fmt: skip
