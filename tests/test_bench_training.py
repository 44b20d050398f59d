"""scripts/bench_training.py: every grid method and MRMP's sampled variant timed from one dense run, with the
ratios it prints computed from the seconds it records (what the times are is the benchmark's business)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from gcnprune.experiments.repo import REPO_ROOT
from gcnprune.methods import grid_methods


def bench(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT / "lib")}
    script = str(REPO_ROOT / "scripts" / "bench_training.py")
    return subprocess.run([sys.executable, script, *args], env=env, capture_output=True, text=True)


def test_bench_training_times_every_method_against_dense_and_mrmp_against_one_pmp_run(tmp_path):
    out = tmp_path / "bench.json"
    assert bench("--profile", "smoke", "--repeats", "2", "--json", str(out)).returncode == 0
    record = json.loads(out.read_text())
    assert record["dataset"] == "synthetic" and record["repeats"] == 2 and record["machine"]["threads"] == 1
    rows = {row["method"]: row for row in record["runs"]}
    assert list(rows) == [*grid_methods(), "multi_rate, sampled"]
    dense = rows["dense"]
    assert dense["epochs"] > rows["magnitude"]["epochs"] > 0 and dense["× dense s/epoch"] == 1.0
    for row in rows.values():
        assert row["seconds"] > 0
        assert row["s/epoch"] == pytest.approx(row["seconds"] / row["epochs"])
        assert row["× dense s/epoch"] == pytest.approx(row["s/epoch"] / dense["s/epoch"])
    for name in ("multi_rate", "multi_rate, sampled"):
        assert rows[name]["× one PMP run"] == pytest.approx(rows[name]["seconds"] / rows["probabilistic"]["seconds"])
    assert rows["magnitude"]["× one PMP run"] is None


def test_bench_training_refuses_no_repeats():
    done = bench("--repeats", "0")
    assert done.returncode == 2 and "--repeats must be at least 1" in done.stderr
