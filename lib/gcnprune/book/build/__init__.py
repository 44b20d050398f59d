"""Execute the book's notebooks with papermill and build the Jupyter Book: ``python -m gcnprune.book``.

The notebooks are MyST markdown files (``notebooks/*.md``, jupytext's ``md:myst``) run in the order of
the book's table of contents. Each has one cell tagged ``parameters``; the runner passes ``dataset``,
``data_root``, ``profile``, ``results`` and ``jobs`` to every notebook that assigns them there, plus
``provenance`` (the path of the execution record) to the notebooks that read it, which run last.
A ``--param`` naming a variable the parameters cell does not assign is an error, not a warning.
Without the dataset's data (the default, SBU with the paper profile, on a fresh clone) the chapters read
the committed runs from the cache only and train nothing; a missing run fails the build in one line
(:mod:`gcnprune.book.chapters.runs`), as does any error the library raises for the user to fix.

Everything happens in a staging copy of the book under ``book/_build/``: only when every notebook ran
and the strict build (``jupyter-book build -W -n --keep-going``) passed do the executed notebooks move
to ``book/notebooks/`` and the HTML to ``book/_build/html/``. A failure leaves the previous book as it
was, and the staging folder for inspection. One run at a time per book folder: a lock file
(``book/_build/.lock``, holding the runner's pid) refuses a second run while the first one's process lives.
"""

from .cli import main
from .errors import BookError, BuildFailed, NotebookFailed, ParameterError
from .execution import KERNEL_NAME, execute
from .html import LOCK_FILE, STAGING_PREFIX, clear_stale_staging, jupyter_book_build
from .make import BOOK_DATASET, BookResult, check_options, make_book
from .parameters import (  # fmt: skip
    COMMON_PARAMETERS,
    PROVENANCE_PARAMETER,
    Notebook,
    load_notebook,
    parameters_of,
    parse_param,
    plan,
    read_notebook,
)
from .provenance import PACKAGES, PROVENANCE_FILE, banner, environment, shown_path
from .toc import BOOK_DIR, NOTEBOOKS_DIR, toc_files, toc_notebooks

__all__ = [
    "BOOK_DATASET", "BOOK_DIR", "COMMON_PARAMETERS", "KERNEL_NAME", "LOCK_FILE", "NOTEBOOKS_DIR", "PACKAGES",
    "PROVENANCE_FILE", "PROVENANCE_PARAMETER", "STAGING_PREFIX", "BookError", "BookResult", "BuildFailed", "Notebook",
    "NotebookFailed", "ParameterError", "banner", "check_options", "clear_stale_staging", "environment", "execute",
    "jupyter_book_build", "load_notebook", "main", "make_book", "parameters_of", "parse_param", "plan", "read_notebook",
    "shown_path", "toc_files", "toc_notebooks",
]  # fmt: skip
