"""The run cache, the one owner of a run's folder and file names: ``results/<hash>/`` holds a finished run's
``config.json`` and ``metrics.json`` (and, for runs that others start from, ``model.pt``, which is not
committed); writing it, reading it, and auditing it.

Folders are written under a temporary name (``.tmp-<hash>-<pid>``) and renamed into place
(:func:`store_run`), so a folder with a run's name is always a finished run and an
interrupted one leaves only a temporary folder that the next attempt replaces.
"""

from __future__ import annotations

import json
import math
import os
import pickle
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch

from gcnprune.errors import CacheError, UserError

from .config import RunConfig
from .pids import owned_by_live_process
from .repo import DEFAULT_RESULTS

RUN_FOLDER = re.compile(r"[0-9a-f]{16}")  # a run folder's name: its configuration's hash
TMP_PREFIX = ".tmp-"  # results/.tmp-<hash>-<pid>: a run being written by process <pid>
CONFIG = "config.json"  # the run's resolved configuration (RunConfig.resolved)
METRICS = "metrics.json"  # what the run measured
WEIGHTS = "model.pt"  # its trained weights, for runs that others start from (never committed)


def run_folder(config: RunConfig, results: str | os.PathLike[str] = DEFAULT_RESULTS) -> Path:
    """The folder of ``config``'s run in the cache at ``results``: ``results/<hash>``."""
    return Path(results) / config.run_hash()


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """``payload`` as a run folder's JSON file stores it: indented, keys sorted."""
    path.write_text(json.dumps(payload, indent=2, sort_keys=True, allow_nan=False) + "\n")


def read_entry(folder: Path, name: str) -> dict[str, Any]:
    """A run folder's JSON file as a dict; a missing, unreadable or malformed one is
    :class:`~gcnprune.errors.CacheError`."""
    path = folder / name
    if not path.is_file():
        raise CacheError(folder, f"{name} is missing")
    try:
        payload = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise CacheError(folder, f"{name} is not valid JSON ({error})") from None
    if not isinstance(payload, dict):
        raise CacheError(folder, f"{name} holds a {type(payload).__name__}, not a JSON object")
    return payload


def read_weights(path: Path) -> dict[str, torch.Tensor]:
    """A run's saved ``model.pt``; an unreadable file, or one that is not a state dict, is
    :class:`~gcnprune.errors.CacheError`."""
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
    except (OSError, EOFError, RuntimeError, ValueError, pickle.UnpicklingError) as error:
        detail = str(error).strip()  # torch's messages run to paragraphs: keep a short one only
        what = type(error).__name__ + (f": {detail}" if detail and "\n" not in detail and len(detail) < 160 else "")
        raise CacheError(path.parent, f"{path.name} cannot be read by torch.load ({what})") from None
    if not (isinstance(state, dict) and all(isinstance(v, torch.Tensor) for v in state.values())):
        raise CacheError(path.parent, f"{path.name} holds a {type(state).__name__}, not a model's state dict")
    return state


FRACTIONS = ("accuracy", "achieved_rate")  # metrics every run records, each a number in [0, 1]
COUNTS = ("prunable_dense", "prunable_nonzero")  # and these, each a count


def check_metrics(folder: Path, metrics: dict[str, Any]) -> dict[str, Any]:
    """``metrics`` if they are what a finished run records (accuracies and rates finite numbers in [0, 1],
    weight counts whole, non-negative, nonzero ≤ dense); else :class:`~gcnprune.errors.CacheError` naming
    ``folder`` and the first thing wrong."""
    for key in (*FRACTIONS, *(["class_mean_accuracy"] if "class_mean_accuracy" in metrics else [])):
        value = metrics.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise CacheError(folder, f"{METRICS} records {key} = {value!r}, not a number in [0, 1]")
    for key in COUNTS:
        value = metrics.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CacheError(folder, f"{METRICS} records {key} = {value!r}, not a count of weights")
    if metrics["prunable_nonzero"] > metrics["prunable_dense"]:
        raise CacheError(folder, f"{METRICS} records more nonzero weights than the network has")
    return metrics


def load_run(config: RunConfig, results: str | os.PathLike[str] = DEFAULT_RESULTS) -> dict[str, Any] | None:
    """The cached metrics of ``config``, or None if it has not been run. The folder must hold this run:
    its ``config.json`` is ``config``'s, and its metrics pass :func:`check_metrics`; anything else (a
    folder whose files belong to another run, an accuracy of 7.5 or NaN, a negative count) raises
    :class:`~gcnprune.errors.CacheError` naming it, as a missing or unreadable file does."""
    folder = run_folder(config, results)
    if not folder.exists():
        return None
    if read_entry(folder, CONFIG) != _as_json(config.resolved()):
        raise CacheError(folder, f"{CONFIG} describes another run than the one its folder names")
    return check_metrics(folder, read_entry(folder, METRICS))


def saved_weights(
    config: RunConfig, results: str | os.PathLike[str] = DEFAULT_RESULTS
) -> dict[str, torch.Tensor] | None:
    """The weights a cached run saved (``model.pt``), or None where there are none: the run is not cached,
    its method keeps none, or the cache came from git, which holds no weights. Trains nothing; a damaged
    file raises :class:`~gcnprune.errors.CacheError` naming its folder."""
    path = run_folder(config, results) / WEIGHTS
    return read_weights(path) if path.is_file() else None


def check_results(results: str | os.PathLike[str], writing: bool = True) -> None:
    """Refuse, before any training, a results path that is not a folder or (when runs are to be
    written) one that cannot be created or written to."""
    if not str(results).strip():
        raise UserError("the results path is empty; give a folder for the run cache (--results DIR)")
    path = Path(results)
    if path.exists() and not path.is_dir():
        raise UserError(f"the results path {path} is not a folder; give a folder for the run cache (--results DIR)")
    if not writing:
        return
    existing = next(p for p in (path, *path.parents) if p.exists())
    if not existing.is_dir():
        raise UserError(f"cannot create the results folder {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise UserError(f"the results folder {path} is not writable ({existing} refuses writing); "
                        "give a folder you can write to (--results DIR)")  # fmt: skip


@dataclass(frozen=True)
class CacheFinding:
    """An entry of the run cache that ``gcnprune clean`` reports (and removes with ``--delete``):
    ``stale`` (no current configuration maps to it), ``damaged`` (unreadable files), or ``interrupted``
    (a temporary folder whose process is gone); ``reason`` says why."""

    folder: Path
    kind: Literal["stale", "damaged", "interrupted"]
    reason: str
    only: Path | None = None  # the one file to remove where the rest of the run is intact (a damaged model.pt)

    @property
    def target(self) -> Path:
        """What ``--delete`` removes: the damaged file alone where the run record is intact, else the entry."""
        return self.only or self.folder


def _as_json(payload: dict[str, Any]) -> Any:
    """``payload`` as ``config.json`` stores it (tuples become lists), for comparing with a stored one."""
    return json.loads(json.dumps(payload))


def _audit_run(folder: Path) -> CacheFinding | None:
    """What is wrong with one run folder, or None for a current, intact run."""
    try:
        stored = read_entry(folder, CONFIG)
        check_metrics(folder, read_entry(folder, METRICS))
    except CacheError as error:
        return CacheFinding(folder, "damaged", error.problem)
    try:
        config = RunConfig.from_resolved(stored)
        current = config.run_hash() == folder.name and _as_json(config.resolved()) == stored
    except (TypeError, ValueError):
        current = False
    if not current:
        return CacheFinding(folder, "stale", "no current configuration maps to it")
    if (folder / WEIGHTS).exists():  # the run's record is intact: only its regenerable weights can be damaged
        try:
            read_weights(folder / WEIGHTS)
        except CacheError as error:
            problem = f"{error.problem} (the run's record is intact: --delete removes only {WEIGHTS})"
            return CacheFinding(folder, "damaged", problem, only=folder / WEIGHTS)
    return None


def audit_cache(results: str | os.PathLike[str] = DEFAULT_RESULTS) -> list[CacheFinding]:
    """Every cache entry to remove: stale and damaged run folders, and temporary folders of processes
    that are gone. A temporary folder whose process still runs (a grid writing it) is left alone, and so
    are entries that are not the cache's (names neither a run hash nor ``.tmp-…``)."""
    findings = []
    for entry in sorted(Path(results).iterdir()) if Path(results).is_dir() else []:
        if entry.name.startswith(TMP_PREFIX):
            if not owned_by_live_process(entry.name):
                findings.append(CacheFinding(entry, "interrupted", "left by an interrupted run"))
        elif RUN_FOLDER.fullmatch(entry.name):
            finding = _audit_run(entry) if entry.is_dir() else CacheFinding(entry, "damaged", "not a folder")
            if finding is not None:
                findings.append(finding)
    return findings


def stale_runs(results: str | os.PathLike[str] = DEFAULT_RESULTS) -> list[Path]:
    """The folders of :func:`audit_cache`: run folders that no current configuration maps to (a default,
    a field or an implementation version changed since they ran, or their parent's did), damaged run
    folders, and leftover temporary folders of interrupted runs."""
    return [finding.folder for finding in audit_cache(results)]


def store_run(
    config: RunConfig, metrics: dict[str, Any], state: dict[str, torch.Tensor] | None, results: str | os.PathLike[str]
) -> dict[str, Any]:
    """Write a finished run into the cache atomically (a temporary folder renamed into place; see
    :mod:`gcnprune.experiments.cache`): its configuration, metrics and, where given, weights. Returns the metrics
    stored, another process's where it finished the same run first."""
    broken = sorted(k for k, v in metrics.items() if isinstance(v, float) and not math.isfinite(v))
    if broken:
        raise UserError(f"run {config.run_hash()} ({config.method} at rate {config.rate:g}) ended with non-finite "
                        f"{', '.join(broken)} (training diverged); nothing is cached: lower its learning rate or "
                        "its hyperparameters' scale")  # fmt: skip
    results = Path(results)
    folder = run_folder(config, results)
    results.mkdir(parents=True, exist_ok=True)
    tmp = results / f"{TMP_PREFIX}{folder.name}-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    write_json(tmp / CONFIG, config.resolved())
    write_json(tmp / METRICS, metrics)
    if state is not None:
        torch.save(state, tmp / WEIGHTS)
    try:
        tmp.rename(folder)
    except OSError:  # another process finished the same run meanwhile: keep theirs
        shutil.rmtree(tmp)
    return read_entry(folder, METRICS)


def store_weights(config: RunConfig, state: dict[str, torch.Tensor], results: str | os.PathLike[str]) -> None:
    """Write a cached run's recomputed weights (``model.pt``, which git does not keep) atomically."""
    path = run_folder(config, results) / WEIGHTS
    tmp = path.with_suffix(f".tmp-{os.getpid()}")
    torch.save({k: v.detach().cpu() for k, v in state.items()}, tmp)  # readable where there is no CUDA
    os.replace(tmp, path)


def stored_config(run_hash: str, results: str | os.PathLike[str] = DEFAULT_RESULTS) -> RunConfig:
    """The configuration of the cached run named ``run_hash`` (its folder under ``results``); a name that
    is not a run folder there, or one whose configuration no longer hashes to it, is a UserError."""
    folder = Path(results) / run_hash
    if not RUN_FOLDER.fullmatch(run_hash):
        raise UserError(f"{run_hash!r} is not a run hash; give the 16-hex-digit name of a run folder in {results}")
    if not (folder / CONFIG).is_file():
        raise UserError(
            f"no run {run_hash} in {results}; give a run folder's name, or --results for the cache that holds it"
        )
    config = RunConfig.from_resolved(json.loads((folder / CONFIG).read_text()))
    if config.run_hash() != run_hash:
        raise UserError(
            f"run {run_hash} is stale (its configuration now hashes to {config.run_hash()}); "
            f"`gcnprune clean --results {results}` lists such runs, and the grid recomputes them"
        )
    return config
