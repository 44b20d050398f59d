"""The "write your own method" tutorial's names beside the methods it writes: its runs' summary, table and claim."""

from __future__ import annotations

from gcnprune.experiments import summarise

from .claims import WIDE_MARGIN, claim_check, claim_table
from .format import accuracy_text
from .rerun import rerun_card
from .tables import summary_table

# the names the write-your-own-method notebook uses
__all__ = ["WIDE_MARGIN", "accuracy_text", "claim_check", "claim_table", "rerun_card", "summarise",
           "summary_table"]  # fmt: skip
