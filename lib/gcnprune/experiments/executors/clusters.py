"""Dask clusters for grids: ``--cluster local:N`` (a :class:`distributed.LocalCluster` of N single-threaded
worker processes) or ``--cluster slurm[:KEY=VALUE,...]`` (SLURM jobs through ``dask-jobqueue``), and
clients of an existing scheduler (``--scheduler tcp://HOST:8786``). Dask is imported only here and in
:mod:`gcnprune.experiments.executors.dask`, and only when one of these options is used (``pip install -e
".[cluster]"``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from gcnprune.errors import UserError

from .base import SCHEDULER_ENV, require_dask

# --cluster slurm's settings: name -> (meaning, default); every worker is one single-threaded process.
SLURM_SETTINGS: dict[str, tuple[str, str | None]] = {
    "jobs": ("SLURM jobs to submit", "1"),
    "processes": ("worker processes per job (each single-threaded; the job asks for as many cores)", "1"),
    "memory": ("memory per job", "4GB"),
    "walltime": ("time limit per job", "01:00:00"),
    "queue": ("partition (#SBATCH -p)", None),
    "account": ("account to charge (#SBATCH -A)", None),
    "interface": ("network interface the workers listen on, e.g. ib0", None),
    "python": ("the Python on the compute nodes (with gcnprune installed)", None),
    "job_extra": ("more #SBATCH directives, separated by ';', e.g. --qos=short;--constraint=intel", None),
    "local_directory": ("the workers' scratch folder on the nodes", None),
}
# Dask's nanny sets MALLOC_TRIM_THRESHOLD_=65536 in its workers' environment, to hand memory back to the OS
# sooner. With that variable set, glibc also stops adapting its mmap threshold, and a training run measured
# 1.47x slower (a quick synthetic dense run: 5.43 s against 3.69 s). Our workers start without it: this
# config entry set to None unsets it, set in the client's config for a LocalCluster, and in a config file
# that a SLURM job writes before it starts its workers (dask reads environment variables' keys in lower
# case, so an environment variable cannot override this upper-case entry).
KEEP_MALLOC = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
KEEP_MALLOC_PROLOGUE = [
    'export DASK_CONFIG="$(mktemp -d)"',
    "printf 'distributed:\\n  nanny:\\n    pre-spawn-environ:\\n      MALLOC_TRIM_THRESHOLD_: null\\n' "
    '> "$DASK_CONFIG/gcnprune.yaml"',
]
CLUSTER_HELP = ("local:N (a LocalCluster of N worker processes) or slurm[:KEY=VALUE,...] with KEY one of "
                + ", ".join(SLURM_SETTINGS))  # fmt: skip


@dataclass(frozen=True)
class ClusterSpec:
    """A cluster to start for a grid: ``local`` with ``workers`` processes, or ``slurm`` with ``settings``
    (:data:`SLURM_SETTINGS`, defaults filled in)."""

    kind: Literal["local", "slurm"]
    workers: int = 0
    settings: dict[str, str] = field(default_factory=dict)


def _positive(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise UserError(f"--cluster: {what} must be a whole number of at least 1, got {text!r}")
    return value


def parse_cluster(text: str) -> ClusterSpec:
    """``local:N`` or ``slurm[:KEY=VALUE,...]`` (:data:`SLURM_SETTINGS`) as a :class:`ClusterSpec`; anything
    else is a :class:`~gcnprune.errors.UserError` naming the valid forms."""
    kind, _, rest = text.partition(":")
    if kind == "local":
        return ClusterSpec("local", _positive(rest, "local:N's worker count N"))
    if kind != "slurm":
        raise UserError(f"--cluster {text!r}: give {CLUSTER_HELP}")
    settings = {name: default for name, (_, default) in SLURM_SETTINGS.items() if default is not None}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        name, eq, value = item.partition("=")
        if not eq or name not in SLURM_SETTINGS or not value:
            raise UserError(f"--cluster slurm: {item!r} is not KEY=VALUE with KEY one of {', '.join(SLURM_SETTINGS)}")
        settings[name] = value
    for name in ("jobs", "processes"):
        _positive(settings[name], f"slurm's {name}")
    return ClusterSpec("slurm", settings=settings)


def slurm_options(spec: ClusterSpec) -> dict[str, Any]:
    """The :class:`dask_jobqueue.SLURMCluster` arguments of a ``slurm`` spec: one thread per worker process,
    started without Dask's ``MALLOC_TRIM_THRESHOLD_`` (:data:`KEEP_MALLOC`)."""
    s = spec.settings
    processes = int(s["processes"])
    options: dict[str, Any] = {
        "cores": processes,
        "processes": processes,
        "memory": s["memory"],
        "walltime": s["walltime"],
        "job_script_prologue": KEEP_MALLOC_PROLOGUE,
    }
    options.update({k: s[k] for k in ("queue", "account", "interface", "python", "local_directory") if k in s})
    if "job_extra" in s:
        options["job_extra_directives"] = [d.strip() for d in s["job_extra"].split(";") if d.strip()]
    return options


def local_cluster(workers: int, **options: Any) -> Any:
    """A :class:`distributed.LocalCluster` of ``workers`` single-threaded processes (more ``options`` passed on),
    whose workers start without Dask's ``MALLOC_TRIM_THRESHOLD_`` (:data:`KEEP_MALLOC`)."""
    require_dask()
    import dask
    from distributed import LocalCluster

    # A nanny copies its variables into this process's environment before it spawns a worker, so an earlier
    # cluster of this process would still pass Dask's value on: drop it here too.
    os.environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set(KEEP_MALLOC):  # the nannies read it when created, and keep it for restarts
        return LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, **options)


@contextmanager
def start_cluster(spec: ClusterSpec) -> Iterator[Any]:
    """Start the cluster ``spec`` names (SLURM jobs are submitted with ``sbatch``) and stop it afterwards."""
    require_dask()
    if spec.kind == "local":
        with local_cluster(spec.workers) as cluster:
            yield cluster
        return
    if shutil.which("sbatch") is None:
        raise UserError("--cluster slurm submits workers with sbatch, which is not on PATH here; run the grid on "
                        "the cluster's login node, or start workers yourself and give --scheduler")  # fmt: skip
    try:
        from dask_jobqueue import SLURMCluster
    except ImportError as error:
        raise UserError(
            f'--cluster slurm needs dask-jobqueue ({error}); install it with pip install -e ".[cluster]"'
        ) from None
    with SLURMCluster(**slurm_options(spec)) as cluster:
        cluster.scale(jobs=int(spec.settings["jobs"]))
        yield cluster


@contextmanager
def dask_client(scheduler: str | None, spec: ClusterSpec | None) -> Iterator[Any]:
    """A :class:`distributed.Client` of the scheduler at ``scheduler``, or of a cluster started from ``spec``."""
    require_dask()
    from distributed import Client

    if spec is not None:
        with start_cluster(spec) as cluster, Client(cluster) as client:
            yield client
        return
    try:
        client = Client(scheduler, timeout="20s")
    except (OSError, TimeoutError, ValueError) as error:
        raise UserError(f"cannot reach the Dask scheduler at {scheduler} ({error}); start one with `dask scheduler` "
                        f"and workers with `dask worker {scheduler} --nthreads 1`") from None  # fmt: skip
    with client:
        yield client


@contextmanager
def scheduler_environment(scheduler: str | None, cluster: str | None) -> Iterator[str | None]:
    """For the book runner: start the cluster ``cluster`` names (or check the scheduler at ``scheduler``)
    and set ``$GCNPRUNE_SCHEDULER`` to its address for the notebooks' kernels
    (:func:`gcnprune.experiments.executors.book_executor`) while the book builds; nothing without either option."""
    if scheduler is None and cluster is None:
        yield None
        return
    if scheduler is not None and cluster is not None:
        raise UserError("--scheduler and --cluster both name where the runs go; give one")
    spec = None if cluster is None else parse_cluster(cluster)
    previous = os.environ.get(SCHEDULER_ENV)
    with dask_client(scheduler, spec) as client:
        address = client.scheduler.address
        print(f"runs go to the Dask scheduler {address} (dashboard {client.dashboard_link})")
        os.environ[SCHEDULER_ENV] = address
        try:
            yield address
        finally:
            if previous is None:
                os.environ.pop(SCHEDULER_ENV, None)
            else:
                os.environ[SCHEDULER_ENV] = previous
