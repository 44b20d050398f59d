"""The local executor (``gcnprune.experiments.executors.local.LocalExecutor``): with ``jobs`` processes it gives the
one-process
loop's cache bit for bit, starts a run only once its parent is cached (and as soon as it is), never runs
more than ``jobs`` at once, stops at a failing run with its error; and the book trains the runs of the
chapters it executes before their notebooks (``gcnprune.book.build.training``)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from cache_compare import assert_same_cache

from gcnprune.book.build.parameters import read_notebook
from gcnprune.book.build.training import notebook_configs, train_chapters
from gcnprune.book.chapters.runs import chapter_configs
from gcnprune.experiments.cache import load_run
from gcnprune.experiments.executors import local as executors
from gcnprune.experiments.executors.base import schedule
from gcnprune.experiments.executors.local import LocalExecutor
from gcnprune.experiments.grid import Grid, lineage_stages, run_configs

GRID = Grid("synthetic", "smoke", ["dense", "magnitude", "multi_rate"], [0.5, 0.9], [0, 1])


@pytest.fixture(scope="module")
def serial_results(tmp_path_factory) -> Path:
    results = tmp_path_factory.mktemp("serial") / "results"
    run_configs(GRID.configs(), results, jobs=1, progress=False)
    return results


# The pool pickles the function it runs by name, so the patched ones live here; its processes are forked
# after the patch, with this module's globals.
_REAL = executors._run_quietly
_TIMELINE: list[Path] = []


def _timed(args):
    """The real run, appending (run, start, end) to the timeline's file."""
    start = time.time()
    out = _REAL(args)
    with _TIMELINE[0].open("a") as f:
        f.write(json.dumps([args[0].run_hash(), start, time.time()]) + "\n")
    return out


def _failing(args):
    """The real run, except MP at 0.9, which raises."""
    if args[0].method == "magnitude" and args[0].rate == 0.9:
        raise RuntimeError("boom at 0.9")
    return _REAL(args)


@pytest.fixture
def timeline(tmp_path, monkeypatch) -> Path:
    """Each run the pool's processes compute appends (run, start, end) to this file."""
    _TIMELINE[:] = [tmp_path / "timeline.jsonl"]
    monkeypatch.setattr(executors, "_run_quietly", _timed)
    return _TIMELINE[0]


def _stages(configs):
    """The stages run_configs hands an executor when nothing is cached
    (:func:`~gcnprune.experiments.grid.lineage_stages`)."""
    return [stage for stage in lineage_stages(configs) if stage]


def test_schedule_starts_with_runs_whose_parents_are_not_pending_parents_first():
    stages = _stages(GRID.configs())
    ready, children = schedule(stages)
    assert {c.method for c in ready} == {"dense"}  # everything else waits for a dense run or MRMP's training
    waiting = {c.run_hash() for kids in children.values() for c in kids}
    assert waiting | {c.run_hash() for c in ready} == {c.run_hash() for s in stages for c in s}
    for parent, kids in children.items():
        assert all(k.parent().run_hash() == parent for k in kids)
    # a cached parent is no reason to wait: without the dense stage, its children are ready at once
    ready, children = schedule(stages[1:])
    assert {c.method for c in ready} == {"magnitude", "multi_rate_train"}
    assert [c.method for c in ready][:2] == ["multi_rate_train"] * 2  # parents of others go first


def test_two_processes_give_the_serial_cache_bit_for_bit_parents_first(serial_results, tmp_path, timeline):
    results = tmp_path / "results"
    run_configs(GRID.configs(), results, jobs=2, progress=False)
    assert_same_cache(results, serial_results)
    spans = {run: (start, end) for run, start, end in map(json.loads, timeline.read_text().splitlines())}
    configs = {c.run_hash(): c for s in _stages(GRID.configs()) for c in s}
    assert set(spans) == set(configs)  # each run once (a child never trained its missing parent itself)
    for run, config in configs.items():
        parent = config.parent()
        if parent is not None:
            assert spans[parent.run_hash()][1] <= spans[run][0], f"{config.method} started before its parent ended"
    events = sorted([(s, 1) for s, _ in spans.values()] + [(e, -1) for _, e in spans.values()], key=lambda x: x[0])
    running = peak = 0
    for _, step in events:
        running += step
        peak = max(peak, running)
    assert peak == 2


def test_a_failing_run_stops_the_grid_with_its_error(tmp_path, monkeypatch):
    monkeypatch.setattr(executors, "_run_quietly", _failing)
    grid = Grid("synthetic", "smoke", ["dense", "magnitude"], [0.5, 0.9], [0])
    with pytest.raises(RuntimeError, match="boom at 0.9"):
        run_configs(grid.configs(), tmp_path / "results", jobs=2, progress=False)
    dense, mp5, mp9 = grid.configs()
    assert load_run(dense, tmp_path / "results") is not None and load_run(mp9, tmp_path / "results") is None


def test_jobs_below_one_are_refused():
    with pytest.raises(executors.UserError, match="jobs must be at least 1"):
        LocalExecutor(0)


def test_the_book_trains_its_chapters_runs_before_the_notebooks(repo_root, tmp_path):
    notebooks = [read_notebook(repo_root / "notebooks" / f"{name}.md") for name in ("magnitude-pruning", "results")]
    values = {"dataset": "synthetic", "data_root": None, "profile": "smoke", "results": str(tmp_path), "jobs": 2,
              "folds": [0], "rates": [0.5]}  # fmt: skip
    injected = {nb.name: {k: v for k, v in values.items() if k in nb.parameters} for nb in notebooks}
    expected = chapter_configs("magnitude-pruning", "synthetic", None, "smoke", [0], [0.5]).configs
    values = {nb.name: {**nb.parameters, **injected[nb.name]} for nb in notebooks}
    assert notebook_configs(notebooks[0], values["magnitude-pruning"]) == expected
    assert notebook_configs(notebooks[1], values["results"]) == []  # a page that only reads the cache
    said: list[str] = []
    runs, seconds = train_chapters(notebooks, injected, str(tmp_path), 2, said.append)
    assert runs == len(expected) == 4 and seconds > 0
    assert all(load_run(c, tmp_path) is not None for c in expected)
    assert "training the 4 run(s) that 1 chapter(s) miss" in said[0]
    assert train_chapters(notebooks, injected, str(tmp_path), 2, said.append) == (0, 0.0) and len(said) == 2


def _children(pid: int) -> list[int]:
    """The live processes whose parent is ``pid`` (from /proc)."""
    out = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
        except OSError:
            continue
        if fields.get("PPid", "").strip() == str(pid) and not fields.get("State", "").startswith("Z"):
            out.append(int(status.parent.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads processes from /proc (Linux)")
def test_killing_a_grid_ends_its_workers(tmp_path):
    """``kill -9`` of a grid of two processes leaves no worker alive a few seconds later."""
    grid = subprocess.Popen([sys.executable, "-m", "gcnprune", "grid", "--profile", "quick", "--folds", "1-3",
                             "--methods", "dense,magnitude", "--rates", "0.5,0.9", "--jobs", "2",
                             "--results", str(tmp_path / "results")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while len(workers := _children(grid.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(workers) >= 2, "the grid did not start its two workers"
    finally:
        grid.kill()
        grid.wait()
    deadline = time.monotonic() + 5
    while (
        alive := [w for w in workers if Path(f"/proc/{w}").exists() and _state(w) != "Z"]
    ) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert alive == []


def _state(pid: int) -> str:
    try:
        return next(line.split()[1] for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("State:"))  # fmt: skip
    except (OSError, StopIteration):
        return "Z"
