"""The book's chapters as runs: every chapter's grids (:mod:`.grids`), the lightweight-GCN design grid
(:mod:`.design`), the tuning record behind the defaults (:mod:`.tuning`), and a chapter's runs gathered from
the cache or trained (:mod:`.runs`)."""

from __future__ import annotations

from .grids import ALL_RATES, HIGH_RATES, ORDER, TRAINING_RATES, chapter_grids
from .runs import BOOK_DATASET, ChapterRuns, chapter_configs, chapter_runs

__all__ = ["ALL_RATES", "BOOK_DATASET", "HIGH_RATES", "ORDER", "TRAINING_RATES", "ChapterRuns", "chapter_configs",
           "chapter_runs", "chapter_grids"]  # fmt: skip
