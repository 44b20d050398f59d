"""Settings added after runs were committed: a dataclass field that stays out of the run hash while it holds
the value those runs had, so that adding an option renames no committed run."""

from __future__ import annotations

from dataclasses import field
from typing import Any

OMITTED_AT = "omitted_at"  # a field's metadata key: the value at which it stays out of the run hash (added_setting)


def added_setting(default: Any, committed: Any = None) -> Any:
    """A dataclass field for a setting added after runs were committed: at ``committed``, the value those runs
    had (``default`` unless given), it stays out of the run hash (:meth:`gcnprune.experiments.RunConfig.resolved`),
    so they keep their names; set to anything else, it enters the hash like any setting. A default that
    differs from ``committed`` makes new runs the default while the committed ones stay valid under it."""
    return field(default=default, metadata={OMITTED_AT: default if committed is None else committed})
