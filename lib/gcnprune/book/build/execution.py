"""Executing one notebook with papermill in a kernel that runs this interpreter, reporting a failure with the
notebook's name, and hiding the parameters cells of the executed notebook."""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
import time
from collections.abc import Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from gcnprune.errors import UserError

from .errors import NotebookFailed, plain_text
from .parameters import Notebook, check_names, load_notebook

KERNEL_NAME = "gcnprune-book"


@contextmanager
def notebook_kernel(staging: Path):
    """A kernelspec named :data:`KERNEL_NAME` that runs this interpreter, found first on JUPYTER_PATH."""
    spec = staging / "jupyter" / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    # tqdm.auto warns on import when ipywidgets is missing; the kernel is local, so its TCP notice is noise
    warnings = ",".join(filter(None, [os.environ.get("PYTHONWARNINGS"), "ignore:IProgress not found"]))
    (spec / "kernel.json").write_text(
        json.dumps(
            {
                "argv": [
                    sys.executable,
                    "-m",
                    "ipykernel_launcher",
                    "-f",
                    "{connection_file}",
                    "--IPKernelApp.log_level=ERROR",
                ],
                "display_name": f"Python {platform.python_version()} (gcnprune)",
                "language": "python",
                "env": {"PYTHONWARNINGS": warnings},
                "metadata": {"debugger": False},
            },
            indent=1,
        )
    )
    old = os.environ.get("JUPYTER_PATH")
    os.environ["JUPYTER_PATH"] = os.pathsep.join([str(staging / "jupyter"), *([old] if old else [])])
    try:
        yield KERNEL_NAME
    finally:
        if old is None:
            os.environ.pop("JUPYTER_PATH", None)
        else:
            os.environ["JUPYTER_PATH"] = old


def _user_error_names() -> set[str]:
    """The class names of the library's errors that a user can fix (:class:`~gcnprune.errors.UserError`
    and its subclasses, among the modules imported)."""
    names, todo = set(), [UserError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo += cls.__subclasses__()
    return names


def _failure(name: str, error: BaseException, executed: Path) -> NotebookFailed:
    """The error for a notebook that raised: a user error raised by the library (missing runs, missing
    data, a damaged cache entry) as its one-line message, anything else (a bug) with its traceback."""
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError) and error.ename in _user_error_names() and any(
            "gcnprune" in line for line in error.traceback):  # fmt: skip
        return NotebookFailed(name, f"notebook {name}: {error.evalue}", executed)
    if isinstance(error, PapermillExecutionError):
        trace = plain_text("\n".join(error.traceback))
        source = "\n".join("    " + line for line in str(error.source).splitlines())
        message = (f"notebook {name} failed in cell {error.cell_index} (In [{error.exec_count}]):\n{source}\n\n"
                   f"{trace}\n\n{error.ename}: {error.evalue}\n(executed notebook: {executed})")  # fmt: skip
    else:
        message = (
            f"notebook {name} failed: {type(error).__name__}: {plain_text(str(error))}\n(executed notebook: {executed})"
        )
    return NotebookFailed(name, message, executed)


class _DeclaredParameters(logging.Filter):
    """Drops papermill's "Passed unknown parameter" warnings: its inspection cannot read an annotation such as
    ``str | None`` and calls every such name unknown, while :func:`execute` has checked each name against
    the parameters cell itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("Passed unknown parameter")


def execute(notebook: Notebook, parameters: Mapping[str, Any], output: Path, kernel_name: str) -> float:
    """Run one notebook with papermill into ``output``; return the seconds it took. A parameter its parameters
    cell does not assign is a ParameterError, before anything runs."""
    import papermill

    check_names(notebook, parameters)
    log, declared = logging.getLogger("papermill"), _DeclaredParameters()
    log.addFilter(declared)
    start = time.perf_counter()
    try:
        papermill.execute_notebook(
            load_notebook(notebook.path), str(output), parameters=dict(parameters), kernel_name=kernel_name,
            cwd=str(notebook.path.parent), progress_bar=False, log_output=False, language="python",
        )  # fmt: skip
    except Exception as error:  # noqa: BLE001  (any failure is reported with the notebook's name)
        raise _failure(notebook.name, error, output) from error
    finally:
        log.removeFilter(declared)
    return time.perf_counter() - start


def hide_parameter_cells(path: Path) -> None:
    """Tag an executed notebook's ``parameters`` cell and papermill's ``injected-parameters`` cell
    ``remove-cell``: they hold the build machine's paths and defaults that the runner overrode, so the book
    leaves them out (the reproducibility page shows the values each notebook ran with)."""
    import nbformat

    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if {"parameters", "injected-parameters"} & set(tags) and "remove-cell" not in tags:
            tags.append("remove-cell")
    nbformat.write(nb, path)
