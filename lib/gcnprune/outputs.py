"""Files a user asks for (a compact model, a benchmark's JSON): the path checked before any work starts, so a
mistyped folder costs nothing, and the bytes written under a temporary name in the same folder, then renamed
into place, so that a full disk or a kill never leaves a partial file at the path."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import UserError


def check_output(path: str | os.PathLike[str], option: str) -> Path:
    """``path`` if a file can be written there (its folder exists and is writable, and it is not a folder);
    else a :class:`~gcnprune.errors.UserError` naming the path, the problem and the ``option`` to change."""
    out = Path(path)
    folder = out.parent
    if out.is_dir():
        raise UserError(f"cannot write {out}: it is a folder; give a file name ({option} FILE)")
    if not folder.is_dir():
        raise UserError(f"cannot write {out}: the folder {folder} does not exist; create it or give another {option}")
    if not os.access(folder, os.W_OK | os.X_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise UserError(f"cannot write {out}: {'it' if out.exists() else 'its folder'} is not writable; "
                        f"give another {option}")  # fmt: skip
    return out


def write_atomically(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: a temporary file beside it, renamed into place; a failed
    write (a full disk, say) removes the temporary file and is a one-line :class:`~gcnprune.errors.UserError`."""
    out = Path(path)
    temporary = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise UserError(f"cannot write {out}: {error.strerror or error}; free some space or write elsewhere") from None
