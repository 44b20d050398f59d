"""The FPHA development chapter's names: its runs are summarised and tabled as the method chapters' are."""

from __future__ import annotations

from gcnprune.experiments import summarise

from .tables import summary_table
from .tuning import fpha_dense_table

# the names the fpha-development notebook uses
__all__ = ["fpha_dense_table", "summarise", "summary_table"]
