"""Temporary files and folders named after the process that writes them, and a lock file holding a pid.

A grid writes each run under ``results/.tmp-<hash>-<pid>`` and the book stages under
``book/_build/.staging-<pid>``: cleaning removes only those whose process is gone, and a lock file
refuses a second book run on one book folder while the first one's process lives.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from gcnprune.errors import UserError


def pid_of(name: str) -> int | None:
    """The process id a temporary name ends with (``.tmp-<hash>-<pid>``, ``.staging-<pid>``), or None."""
    tail = name.rsplit("-", 1)[-1]
    return int(tail) if tail.isdigit() and int(tail) > 0 else None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id runs on this machine (signal 0 checks without signalling)."""
    if pid <= 0:  # 0 and negative ids name process groups, not one process
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def owned_by_live_process(name: str) -> bool:
    """Whether a temporary file or folder named after its writer's pid still belongs to a running process."""
    pid = pid_of(name)
    return pid is not None and pid_alive(pid)


class Busy(UserError):
    """Another live process holds the lock; the message names its pid, the lock file and what to do."""


def _holder(lock: Path) -> int | None:
    """The pid written in a lock file, or None if it is unreadable or names no live process."""
    try:
        pid = int(lock.read_text().strip() or "0")
    except (OSError, ValueError):
        return None
    return pid if pid_alive(pid) else None


@contextmanager
def pid_lock(lock: Path, what: str) -> Iterator[None]:
    """Hold ``lock`` (a file holding this process's pid) while the block runs, for ``what`` (e.g. "the
    book folder book/"). A lock whose process is gone is taken over; one whose process lives raises
    :class:`Busy`. The lock is made by a hard link, atomic, so two processes never both create it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    mine = lock.with_name(f"{lock.name}.{os.getpid()}")
    mine.write_text(f"{os.getpid()}\n")
    try:
        for _ in range(2):  # the second try follows the removal of a dead process's lock
            try:
                os.link(mine, lock)  # atomic, and the lock holds the pid from the moment it exists
                break
            except FileExistsError:
                holder = _holder(lock)
                if holder is not None and holder != os.getpid():
                    raise Busy(f"another process (pid {holder}) is using {what}; wait for it to finish, or delete "
                               f"{lock} if no such process is running") from None  # fmt: skip
                lock.unlink(missing_ok=True)
        else:
            raise Busy(f"could not take the lock {lock} for {what}; delete it if no other process is using {what}")
    finally:
        mine.unlink(missing_ok=True)
    try:
        yield
    finally:
        if _holder(lock) == os.getpid():
            lock.unlink(missing_ok=True)
