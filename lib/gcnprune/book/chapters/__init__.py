"""The book's chapters as runs: every chapter's grids (:mod:`.grids`), the lightweight-GCN design grid
(:mod:`.design`), the tuning record behind the defaults (:mod:`.tuning`), and a chapter's runs gathered from
the cache or trained (:mod:`.runs`), and the notebooks' parameters checked by type (:mod:`.parameters`)."""

from __future__ import annotations

from .design import build_model, design_summary, grid_runs
from .grids import ALL_RATES, CHAPTERS, HIGH_RATES, ORDER, TRAINING_RATES, chapter_grids, development_grid
from .parameters import check_parameters
from .runs import BOOK_DATASET, ChapterRuns, chapter_configs, chapter_runs, collect_runs

__all__ = ["ALL_RATES", "BOOK_DATASET", "CHAPTERS", "HIGH_RATES", "ORDER", "TRAINING_RATES", "ChapterRuns",
           "build_model", "chapter_configs", "check_parameters", "chapter_runs", "chapter_grids", "collect_runs",
           "design_summary", "development_grid", "grid_runs"]  # fmt: skip
