"""Grids on a Dask cluster (``gcnprune.experiments.executors.base``, ``gcnprune.experiments.executors.dask``,
``gcnprune.experiments.executors.clusters``): a
2-process LocalCluster whose workers have their own scratch folder, apart from the client's results,
gives the local executor's numbers bit for bit, runs parents before children, retries a run whose worker
is killed, reports a run that raises (configuration and the worker's traceback) while the others finish,
and resumes from the cache. Marked ``dask`` (deselect with ``-m 'not dask'``); the option checks need no cluster."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch

pytest.importorskip("distributed")
import cloudpickle
from cache_compare import assert_same_cache, metrics_without_timing
from distributed import Client, LocalCluster, get_task_stream

from gcnprune import cli
from gcnprune.errors import UserError
from gcnprune.experiments import runner
from gcnprune.experiments.executors import book_executor, grid_executor
from gcnprune.experiments.executors.base import RunsFailed
from gcnprune.experiments.executors.clusters import (
    KEEP_MALLOC_PROLOGUE,
    local_cluster,
    parse_cluster,
    scheduler_environment,
    slurm_options,
    start_cluster,
)
from gcnprune.experiments.executors.dask import DaskExecutor
from gcnprune.experiments.executors.local import LocalExecutor
from gcnprune.experiments.grid import Grid, run_configs

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the worker patches below travel by value

GRID = Grid("synthetic", "smoke", ["dense", "magnitude", "multi_rate"], [0.5, 0.9], [0, 1])


@pytest.fixture(scope="module")
def local_results(tmp_path_factory) -> Path:
    """The grid run by the local executor (one in-process loop, as ``--jobs 1``)."""
    results = tmp_path_factory.mktemp("local") / "results"
    run_configs(GRID.configs(), results, progress=False)
    return results


def _cluster(n_workers: int = 2) -> tuple[LocalCluster, str]:
    workers = tempfile.mkdtemp(prefix="gcnprune-dask-workers-")  # not under the client's (pytest's) folders
    cluster = local_cluster(n_workers, local_directory=workers, dashboard_address=":0")
    return cluster, workers


@pytest.fixture(scope="module")
def client() -> Iterator[Client]:
    cluster, workers = _cluster()
    with cluster, Client(cluster) as c:
        yield c
    shutil.rmtree(workers, ignore_errors=True)


@pytest.fixture(scope="module")
def dask_run(client, tmp_path_factory) -> tuple[Path, list[dict], DaskExecutor, list[str]]:
    """The grid run on the cluster into a fresh results folder, with the scheduler's task stream and the
    order in which the client stored the runs."""
    results = tmp_path_factory.mktemp("dask") / "results"
    executor = DaskExecutor(client)
    stored: list[str] = []
    real = runner.store_run

    def store(config, *args):
        stored.append(config.run_hash())
        return real(config, *args)

    with pytest.MonkeyPatch.context() as patch, get_task_stream(client) as stream:
        patch.setattr(runner, "store_run", store)
        run_configs(GRID.configs(), results, progress=False, executor=executor)
    return results, stream.data, executor, stored


# --- the same numbers, parents first ---------------------------------------------------------------


@pytest.mark.dask
def test_dask_grid_is_bit_identical_to_the_local_executor(dask_run, local_results, client):
    results, _, executor, _ = dask_run
    assert len(list(local_results.iterdir())) == 12  # per fold: dense, MRMP's training, MP and MRMP at 2 rates
    assert_same_cache(results, local_results)
    assert executor.retried == {}
    workers = client.run(lambda dask_worker: dask_worker.local_directory)  # no folder shared with the client's
    assert all(os.path.commonpath([d, results]) == tempfile.gettempdir() for d in workers.values())


@pytest.mark.dask
def test_parents_run_before_their_children(dask_run):
    _, stream, _, stored = dask_run
    compute = {}
    for task in stream:
        for part in task["startstops"]:
            if part["action"] == "compute" and task["key"].startswith("gcnprune-run-"):
                compute[task["key"].split("-")[2]] = (part["start"], part["stop"])
    configs = {c.run_hash(): c for c in GRID.configs()}
    for config in list(configs.values()):
        parent = config.parent()
        while parent is not None:
            configs[parent.run_hash()] = parent
            parent = parent.parent()
    assert set(compute) == set(configs) and sorted(stored) == sorted(configs)  # each run computed once
    for run, config in configs.items():
        parent = config.parent()
        if parent is not None:
            assert stored.index(parent.run_hash()) < stored.index(run)
            # a worker's clock stamps are shifted by the scheduler's estimate of its latency: allow that much
            assert compute[parent.run_hash()][1] - 0.1 < compute[run][0], (
                f"{config.method} started before its parent ended"
            )


@pytest.mark.dask
def test_cached_parents_are_sent_to_workers_and_missing_weights_recomputed(client, local_results, tmp_path):
    """Dense runs in the cache: one with its weights (sent to the workers), one without (git keeps none:
    recomputed on a worker, its weights only); the pruned runs come out as the local executor's."""
    grid = Grid("synthetic", "smoke", ["magnitude"], [0.5, 0.9], [0, 1])
    results = tmp_path / "results"
    results.mkdir()
    dense = [make.parent() for make in grid.configs() if make.rate == 0.5]
    for config in dense:
        shutil.copytree(local_results / config.run_hash(), results / config.run_hash())
    (results / dense[1].run_hash() / "model.pt").unlink()
    metrics_before = (results / dense[1].run_hash() / "metrics.json").read_bytes()
    with get_task_stream(client) as stream:
        run_configs(grid.configs(), results, progress=False, executor=DaskExecutor(client))
    computed = {t["key"].split("-")[2] for t in stream.data if t["key"].startswith("gcnprune-run-")}
    assert dense[0].run_hash() not in computed and dense[1].run_hash() in computed
    assert (results / dense[1].run_hash() / "metrics.json").read_bytes() == metrics_before
    for config in [*grid.configs(), *dense]:
        name = config.run_hash()
        assert metrics_without_timing(results / name) == metrics_without_timing(local_results / name)
    state = torch.load(results / dense[1].run_hash() / "model.pt", weights_only=True)
    expected = torch.load(local_results / dense[1].run_hash() / "model.pt", weights_only=True)
    assert all(torch.equal(state[k], expected[k]) for k in expected)


# --- faults ----------------------------------------------------------------------------------------


def _break(targets: list[tuple[str, float]]) -> None:
    """On a worker: make compute_run raise for the (method, rate) pairs in ``targets``."""
    from gcnprune.experiments import runner

    real = getattr(runner, "_real_compute_run", runner.compute_run)
    runner._real_compute_run = real

    def broken(config, parent_state, data_root, progress=False):
        if (config.method, config.rate) in targets:
            raise RuntimeError(f"boom in {config.method}")
        return real(config, parent_state, data_root, progress)

    runner.compute_run = broken


def _mend() -> None:
    from gcnprune.experiments import runner

    runner.compute_run = getattr(runner, "_real_compute_run", runner.compute_run)


@pytest.mark.dask
def test_a_failing_run_is_reported_and_the_others_finish_then_the_rerun_resumes(client, local_results, tmp_path):
    grid = Grid("synthetic", "smoke", ["dense", "magnitude", "multi_rate"], [0.5, 0.9], [0])
    results = tmp_path / "results"
    client.run(_break, [("magnitude", 0.9), ("multi_rate_train", 0.0)])
    try:
        with pytest.raises(RunsFailed) as info:
            run_configs(grid.configs(), results, progress=False, executor=DaskExecutor(client))
    finally:
        client.run(_mend)
    message = str(info.value)
    failed = {f.config.run_hash(): f for f in info.value.failures}
    magnitude = next(c for c in grid.configs() if c.method == "magnitude" and c.rate == 0.9)
    mrmp = [c for c in grid.configs() if c.method == "multi_rate"]
    assert set(failed) == {magnitude.run_hash(), mrmp[0].parent().run_hash(), *(c.run_hash() for c in mrmp)}
    assert (
        f"run {magnitude.run_hash()} (magnitude at rate 0.9, fold 1, seed 0, synthetic): "
        "RuntimeError: boom in magnitude" in message
    )
    assert "Traceback (most recent call last)" in failed[magnitude.run_hash()].traceback
    assert "boom in magnitude" in failed[magnitude.run_hash()].traceback
    for c in mrmp:
        assert failed[c.run_hash()].reason == f"not run: its parent run {c.parent().run_hash()} failed"
    assert "2 other(s) finished and are cached" in message  # dense and magnitude at 0.5
    done = {p.name for p in results.iterdir()}
    assert done == {
        c.run_hash() for c in grid.configs() if c.method == "dense" or c.rate == 0.5 and c.method == "magnitude"
    }
    # the rerun computes only what failed, and the cache ends as the local executor's
    with get_task_stream(client) as stream:
        run_configs(grid.configs(), results, progress=False, executor=DaskExecutor(client))
    computed = {t["key"].split("-")[2] for t in stream.data if t["key"].startswith("gcnprune-run-")}
    assert computed == set(failed)
    for name in (p.name for p in results.iterdir()):
        assert metrics_without_timing(results / name) == metrics_without_timing(local_results / name)


def _die_at_first_run() -> None:
    """On a worker: the first run this worker process starts kills it (the restarted process runs normally)."""
    from gcnprune.experiments import runner

    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)

    runner.compute_run = die


@pytest.mark.dask
def test_a_worker_killed_mid_run_is_retried_and_the_cache_is_complete(local_results, tmp_path):
    grid = Grid("synthetic", "smoke", ["dense", "magnitude"], [0.5], [0, 1])
    results = tmp_path / "results"
    logged: list[str] = []
    cluster, workers = _cluster()
    with cluster, Client(cluster) as c:
        c.run(_die_at_first_run)
        executor = DaskExecutor(c, logged.append)
        run_configs(grid.configs(), results, progress=False, executor=executor)
    shutil.rmtree(workers, ignore_errors=True)
    assert sum(executor.retried.values()) >= 1
    assert any("a worker was lost" in line for line in logged), logged
    assert not any(p.name.startswith(".tmp-") for p in results.iterdir())
    expected = {c.run_hash() for c in grid.configs()}
    assert {p.name for p in results.iterdir()} == expected
    for name in expected:
        assert metrics_without_timing(results / name) == metrics_without_timing(local_results / name)


# --- the command line and the book runner ------------------------------------------------------------


@pytest.mark.dask
def test_grid_command_on_a_local_cluster(capsys, tmp_path, local_results):
    results = tmp_path / "results"
    code = cli.main(["grid", "--profile", "smoke", "--methods", "dense,magnitude", "--rates", "0.5", "--folds", "1",
                     "--results", str(results), "--cluster", "local:1"])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "runs go to the Dask scheduler tcp://" in err and "dashboard http" in err
    assert "Accuracy (%) on synthetic" in out
    for folder in results.iterdir():
        assert metrics_without_timing(folder) == metrics_without_timing(local_results / folder.name)


@pytest.mark.dask
def test_book_notebooks_use_the_scheduler_the_runner_names(client, monkeypatch):
    monkeypatch.delenv("GCNPRUNE_SCHEDULER", raising=False)
    with book_executor(2) as executor:
        assert executor == LocalExecutor(2)
    with scheduler_environment(client.scheduler.address, None) as address:
        assert os.environ["GCNPRUNE_SCHEDULER"] == address == client.scheduler.address
        with book_executor(2) as executor:
            assert isinstance(executor, DaskExecutor)
            assert executor.client.scheduler.address == address
    assert "GCNPRUNE_SCHEDULER" not in os.environ


def test_nothing_imports_dask_unless_asked():
    code = ("import sys, gcnprune.cli, gcnprune.book.build, gcnprune.book.chapters, gcnprune.experiments, "
            "gcnprune.experiments.executors; "
            "assert not {'dask', 'distributed', 'dask_jobqueue'} & set(sys.modules), sorted(sys.modules)")  # fmt: skip
    subprocess.run(
        [sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    )


# --- options, checked before anything starts ----------------------------------------------------------


@pytest.mark.parametrize("args, problem", [
    (["--cluster", "local:0"], "local:N's worker count N must be a whole number of at least 1, got '0'"),
    (["--cluster", "local"], "local:N's worker count N must be a whole number"),
    (["--cluster", "pbs"], "--cluster 'pbs': give local:N (a LocalCluster of N worker processes) or slurm"),
    (["--cluster", "slurm:partition=short"], "'partition=short' is not KEY=VALUE with KEY one of jobs, processes"),
    (["--cluster", "slurm:jobs=x"], "slurm's jobs must be a whole number of at least 1, got 'x'"),
    (["--cluster", "local:2", "--scheduler", "tcp://h:8786"], "--scheduler and --cluster both name where the runs go"),
    (["--cluster", "local:2", "--jobs", "2"], "--jobs 2 counts local processes, but the runs go to the Dask cluster"),
])  # fmt: skip
def test_grid_refuses_bad_cluster_options(capsys, tmp_path, args, problem):
    results = tmp_path / "results"
    code = cli.main(["grid", "--profile", "smoke", "--folds", "1", "--results", str(results), *args])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and err.startswith("error: ") and problem in err, err
    assert not results.exists()


def test_slurm_without_sbatch_is_refused(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr("gcnprune.experiments.executors.clusters.shutil.which", lambda name: None)
    code = cli.main(
        ["grid", "--profile", "smoke", "--folds", "1", "--results", str(tmp_path / "r"), "--cluster", "slurm"]
    )
    err = capsys.readouterr().err
    assert code == 1 and "submits workers with sbatch, which is not on PATH here" in err


def test_missing_dask_names_the_extra(capsys, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed now raises ImportError
    code = cli.main(
        ["grid", "--profile", "smoke", "--folds", "1", "--results", str(tmp_path / "r"), "--cluster", "local:2"]
    )
    err = capsys.readouterr().err
    assert code == 1 and 'install it with pip install -e ".[cluster]"' in err, err


def test_unreachable_scheduler_says_how_to_start_one(monkeypatch):
    def refuse(*args, **kwargs):
        raise OSError("Timed out trying to connect")

    monkeypatch.setattr("distributed.Client", refuse)
    message = "cannot reach the Dask scheduler at tcp://h:8786 .* start one with `dask scheduler`"
    with pytest.raises(UserError, match=message), grid_executor(1, "tcp://h:8786"):
        pass


def test_slurm_settings_become_the_job_script():
    from dask_jobqueue import SLURMCluster

    spec = parse_cluster("slurm:jobs=3,processes=2,queue=short,account=lab,walltime=00:30:00,memory=2GB,"
                         "job_extra=--qos=low;--constraint=intel")  # fmt: skip
    assert spec.settings["jobs"] == "3"
    assert parse_cluster("slurm").settings == {"jobs": "1", "processes": "1", "memory": "4GB", "walltime": "01:00:00"}
    with SLURMCluster(**slurm_options(spec)) as cluster:
        script = cluster.job_script()
    for line in ("#SBATCH -p short", "#SBATCH -A lab", "#SBATCH -t 00:30:00", "#SBATCH --cpus-per-task=2",
                 "#SBATCH --qos=low", "#SBATCH --constraint=intel", "--nthreads 1", "--nworkers 2",
                 *KEEP_MALLOC_PROLOGUE):  # fmt: skip
        assert line in script, script


@pytest.mark.dask
def test_local_cluster_workers_start_without_dasks_malloc_trim_threshold():
    """Dask's default MALLOC_TRIM_THRESHOLD_ made training 1.47x slower (see
    gcnprune.experiments.executors.clusters.KEEP_MALLOC)."""
    import dask

    assert dask.config.get("distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_") is not None  # Dask's default
    with start_cluster(parse_cluster("local:1")) as cluster, Client(cluster) as c:
        assert set(c.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_")).values()) == {None}
    check = ("from distributed.nanny import _get_env_variables; "
             "print(sorted(_get_env_variables('distributed.nanny.pre-spawn-environ')))")  # fmt: skip
    script = "\n".join([*KEEP_MALLOC_PROLOGUE, f'{sys.executable} -c "{check}"'])
    read = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    assert "MALLOC_TRIM_THRESHOLD_" not in read.stdout and "OMP_NUM_THREADS" in read.stdout, read.stdout


@pytest.mark.dask
@pytest.mark.book
def test_book_runner_sends_the_notebooks_runs_to_the_scheduler(client, repo_root, tmp_path, capsys):
    from gcnprune.book import build as book

    book_dir, results = tmp_path / "book", tmp_path / "results"
    shutil.copytree(repo_root / "book", book_dir, ignore=shutil.ignore_patterns("_build", "notebooks", ".*"))
    with get_task_stream(client) as stream:
        code = book.main(["--dataset", "synthetic", "--profile", "smoke", "--only", "magnitude-pruning", "--no-build",
                          "--param", "magnitude-pruning:rates=[0.9]", "--results", str(results),
                          "--book", str(book_dir), "--scheduler", client.scheduler.address])  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 0, err
    assert f"runs go to the Dask scheduler {client.scheduler.address}" in out
    computed = {t["key"].split("-")[2] for t in stream.data if t["key"].startswith("gcnprune-run-")}
    assert computed and computed == {p.name for p in results.iterdir()}
