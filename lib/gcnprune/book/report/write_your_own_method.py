"""The "write your own method" tutorial's names beside the methods it writes: its runs' summary, table and claim."""

from __future__ import annotations

from gcnprune.experiments import summarise

from .claims import WIDE_MARGIN, claim_check, claim_table
from .tables import summary_table

# the names the write-your-own-method notebook uses
__all__ = ["WIDE_MARGIN", "claim_check", "claim_table", "summarise", "summary_table"]
