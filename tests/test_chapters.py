"""A chapter's runs: trained where the data is at hand, else read from the cache only, where a missing run
is one error naming it and the command that trains it, and nothing is trained."""

from __future__ import annotations

import pytest
from cache_fixture import write_runs
from smoke_runs import record_training

from gcnprune.book.chapters.runs import MissingRunsError, chapter_runs, collect_runs, missing_runs_policy
from gcnprune.data import DatasetNotFoundError
from gcnprune.errors import UserError
from gcnprune.experiments import label


@pytest.fixture
def no_sbu_data(tmp_path, monkeypatch, repo_root) -> None:
    """A machine without the SBU files: ``$GCNPRUNE_DATA`` leads nowhere and the clone has no ``data/sbu``."""
    if (repo_root / "data" / "sbu").exists():
        pytest.skip("this clone holds data/sbu; reading the cache only needs a machine without the SBU files")
    monkeypatch.setenv("GCNPRUNE_DATA", str(tmp_path / "no-data"))


def magnitude_chapter(results, **kwargs):
    """The magnitude chapter's runs on SBU, smoke profile, at rate 0.9 only: dense, global, gradual and per-layer
    MP on fold 1."""
    return chapter_runs("magnitude-pruning", "sbu", None, "smoke", results, rates=[0.9], **kwargs)


def test_the_policy_trains_only_where_the_data_is_at_hand(no_sbu_data, small_sbu, tmp_path):
    assert missing_runs_policy("synthetic") == "train"
    assert missing_runs_policy("sbu") == "require"
    assert missing_runs_policy("sbu", small_sbu.folder) == "train"
    with pytest.raises(DatasetNotFoundError):
        missing_runs_policy("sbu", tmp_path / "not-there")


def test_a_complete_cache_is_read_without_training(no_sbu_data, results_dir, monkeypatch):
    trained = record_training(monkeypatch)
    configs = magnitude_chapter(results_dir, missing="omit").configs
    assert [(c.method, c.rate, c.fold) for c in configs] == [
        ("dense", 0.0, 0),
        ("magnitude", 0.9, 0),
        ("gradual_magnitude", 0.9, 0),
        ("magnitude", 0.9, 0),
    ]
    write_runs(configs, results_dir, accuracy=0.75)
    chapter = magnitude_chapter(results_dir)
    assert chapter.policy == "require" and chapter.missing == [] and trained == []
    assert chapter.runs["run"].tolist() == [c.run_hash() for c in configs]
    assert set(chapter.runs["accuracy"]) == {0.75}
    assert chapter.info.num_classes == 8 and chapter.folds == [0] and chapter.results == results_dir
    assert chapter.chapters_of == {
        m: ["magnitude-pruning"] for m in ("dense", "magnitude", "gradual_magnitude", "magnitude (scope=layer)")
    }


def test_a_missing_run_is_one_error_naming_it_and_the_command(no_sbu_data, results_dir, monkeypatch):
    trained = record_training(monkeypatch)
    configs = magnitude_chapter(results_dir, missing="omit").configs
    write_runs(configs[:-1], results_dir)
    before = sorted(p.name for p in results_dir.iterdir())
    with pytest.raises(MissingRunsError) as error:
        magnitude_chapter(results_dir)
    message, absent = str(error.value), configs[-1]
    assert isinstance(error.value, UserError) and "\n" not in message
    assert message.startswith(
        "1 of the 4 runs of the magnitude-pruning chapter (sbu, smoke profile) are not in the run cache"
    )
    assert f"{label(absent)} at rate 0.9 (fold 1, seed 0)" in message and absent.run_hash() in message
    assert f"`make book PROFILE=smoke DATA=<SBU folder> RESULTS={results_dir}`" in message
    assert (
        f"python scripts/paper_grids.py --dataset sbu --profile smoke --data <SBU folder> --results {results_dir}"
        in message
    )
    assert trained == [] and sorted(p.name for p in results_dir.iterdir()) == before
    # left out instead, on request: the page counts them
    runs, missing = collect_runs(configs, "omit", "a test", "smoke", results_dir)
    assert len(runs) == 3 and missing == [absent] and trained == []


def test_many_missing_runs_are_summarised_by_method_and_rate(no_sbu_data, results_dir):
    grid = {"folds": [0, 1, 2, 4], "rates": [0.5, 0.9, 0.99], "seeds": (0, 1, 2)}
    configs = chapter_runs("magnitude-pruning", "sbu", None, "paper", results_dir, missing="omit", **grid).configs
    pairs = {(label(c), c.rate) for c in configs}
    with pytest.raises(MissingRunsError) as error:
        chapter_runs("magnitude-pruning", "sbu", None, "paper", results_dir, **grid)
    message = str(error.value)
    assert message.startswith(f"{len(configs)} of the {len(configs)} runs")
    assert "dense at rate 0 (folds 1-3, 5, seeds 0-2)" in message
    assert f"; and {len(pairs) - 4} more method and rate pair(s)" in message
    assert "`make book DATA=<SBU folder> RESULTS=" in message  # sbu and paper are make book's defaults


def test_an_unknown_policy_is_refused(results_dir):
    with pytest.raises(UserError, match="missing runs must be one of train, require, omit, got 'skip'"):
        collect_runs([], "skip", "a test", "smoke", results_dir)  # type: ignore[arg-type]
