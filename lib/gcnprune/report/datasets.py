"""The datasets page's sentences: which datasets this machine holds, and what stands in for a dataset whose
files are not here."""

from __future__ import annotations

import html
from collections.abc import Mapping, Sized

from ..data import DatasetInfo


def found_lines(found: Mapping[str, Sized], missing: Mapping[str, str]) -> str:
    """One Markdown list item per dataset: loaded (with its number of sequences), or why it was not found."""
    lines = [f"- **{name}**: loaded ({len(data)} sequences)" for name, data in found.items()]
    lines += [f"- **{name}**: not found. {html.escape(reason)}" for name, reason in missing.items()]
    return "\n".join(lines)


def counts_unavailable(dataset: str, info: DatasetInfo) -> str:
    """What the class-count table's place says when the build's dataset files are not on this machine."""
    return (
        f"Counting sequences needs the {dataset.upper()} files, which are not on this machine (this build reads its "
        f"committed runs); its classes are {', '.join(info.class_names)}."
    )


def not_drawn(dataset: str) -> str:
    """What the drawings' place says when the build's dataset files are not on this machine."""
    return (f"The {dataset.upper()} sequences are not on this machine, so they are not drawn; the "
            f"datasets found are drawn below, each under its name.")  # fmt: skip
