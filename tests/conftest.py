"""Shared fixtures: the repository root, the real SBU folder (or a skip), a tiny SBU writer, results dirs."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from gcnprune.data.sbu import FOLDS

REPO_ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


def _sbu_candidates() -> list[Path]:
    candidates = []
    if os.environ.get("GCNPRUNE_DATA"):
        candidates.append(Path(os.environ["GCNPRUNE_DATA"]) / "sbu")
    candidates.append(REPO_ROOT / ".." / "shared" / "data" / "sbu")
    return candidates


@pytest.fixture(scope="session")
def sbu_root() -> Path:
    """The real SBU Kinect Interaction folder, or skip the test saying where we looked."""
    candidates = _sbu_candidates()
    for path in candidates:
        if path.is_dir():
            return path.resolve()
    pytest.skip(
        "real SBU data not found (looked in: " + ", ".join(str(p) for p in candidates) + "); "
        "see data/README.md for how to get it"
    )


@dataclass(frozen=True)
class SbuFixture:
    """A tiny SBU tree on disk and what loading it must give, in the loader's (sorted path) order."""

    folder: Path
    normalised: tuple[np.ndarray, ...]  # (frames, 30, 3) values as written in the files
    labels: tuple[int, ...]
    sets: tuple[str, ...]
    sources: tuple[str, ...]

    def path(self, source: str) -> Path:
        return self.folder / source


def format_sbu_line(frame: int, values: np.ndarray) -> str:
    """One line of skeleton_pos.txt: frame index, then 90 normalised numbers (A's 15 joints, then B's)."""
    assert values.shape == (30, 3)
    return ",".join([str(frame)] + [repr(float(v)) for v in values.reshape(-1)])


def write_sbu_file(path: Path, normalised: np.ndarray, first_frame: int = 1) -> None:
    """Write a (frames, 30, 3) array of normalised coordinates as the release does (CRLF line ends)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [format_sbu_line(first_frame + t, frame) for t, frame in enumerate(normalised)]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode())


def random_normalised(rng: np.random.Generator, frames: int) -> np.ndarray:
    """Normalised SBU coordinates: x, y in [0, 1], z in [0, 7.8125], rounded like the release (5 digits)."""
    xy = rng.uniform(0.0, 1.0, size=(frames, 30, 2))
    z = rng.uniform(0.0, 7.8125, size=(frames, 30, 1))
    return np.round(np.concatenate([xy, z], axis=-1), 5)


SbuWriter = Callable[..., SbuFixture]


@pytest.fixture
def sbu_writer(tmp_path) -> SbuWriter:
    """``write(layout, seed=0)``: layout maps a set folder to {class number: sequence count}. The loader
    refuses a copy without all 21 sets, so every set the layout leaves out gets one sequence of class 1
    (written after the layout's, so they do not change its random values), unless ``complete=False``."""

    def write(layout: Mapping[str, Mapping[int, int]], seed: int = 0, folder: Path | None = None,
              complete: bool = True) -> SbuFixture:  # fmt: skip
        root = folder if folder is not None else tmp_path / "sbu"
        root.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(seed)
        entries = []
        fillers = {s: {1: 1} for sets in FOLDS for s in sets if s not in layout} if complete else {}
        for set_name, classes in {**layout, **fillers}.items():
            for cls, count in classes.items():
                for k in range(count):
                    frames = int(rng.integers(3, 12))
                    values = random_normalised(rng, frames)
                    source = f"{set_name}/{cls:02d}/{k + 1:03d}/skeleton_pos.txt"
                    write_sbu_file(root / source, values, first_frame=int(rng.integers(1, 200)))
                    entries.append((source, values, cls - 1, set_name))
        entries.sort(key=lambda e: e[0])
        return SbuFixture(
            folder=root,
            normalised=tuple(e[1] for e in entries),
            labels=tuple(e[2] for e in entries),
            sets=tuple(e[3] for e in entries),
            sources=tuple(e[0] for e in entries),
        )

    return write


@pytest.fixture
def small_sbu(sbu_writer) -> SbuFixture:
    """Two sets of fold 1, one of fold 2 and one of fold 3 with every class at least once; the other 17
    sets hold one sequence of class 1 each."""
    return sbu_writer(
        {
            "s01s02": {1: 2, 2: 1, 3: 1, 4: 1},
            "s03s04": {5: 1, 6: 1, 7: 1, 8: 1},
            "s02s03": {1: 1, 3: 2, 8: 1},
            "s07s01": {2: 1, 4: 1},
        }
    )


@pytest.fixture(scope="session", autouse=True)
def single_threaded_torch():
    """Train single-threaded, as every run does (experiments.train_run): faster on a shared machine."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def results_dir(tmp_path) -> Path:
    """An empty results folder, so that no test writes into the repository's results/."""
    path = tmp_path / "results"
    path.mkdir()
    return path


@pytest.fixture(scope="module")
def shared(tmp_path_factory, request) -> Path:
    """One results folder per test module, so that each dense (and multi-rate) parent trains once."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


def dead_pid() -> int:
    """The id of a process that has exited and been reaped (for temporary names of interrupted writers)."""
    from gcnprune.experiments.pids import pid_alive

    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    assert not pid_alive(child.pid)
    return child.pid
