"""gcnprune.book.report.reproducibility and .datasets: the reproducibility and datasets pages' tables and sentences."""

import json

import pytest

from gcnprune.book.report import datasets
from gcnprune.book.report import reproducibility as provenance
from gcnprune.data import dataset_info

NOTEBOOK = {
    "source": "notebooks/a.md",
    "started": "2026-01-01T00:00:00",
    "seconds": 3.14159,
    "version": "1.0",
    "git_commit": "0123456789abcdef",
    "git_dirty": True,
    "parameters": {"profile": "smoke", "folds": None},
    "python": "3.11.9",
    "packages": {"torch": "2.13.0", "absent": None},
    "machine": {"cpus": 2},
}


def test_load_record_needs_the_runners_record(tmp_path):
    with pytest.raises(RuntimeError, match="python -m gcnprune.book"):
        provenance.load_record(None)
    (tmp_path / "p.json").write_text(json.dumps({"build": {}, "notebooks": {}}))
    assert provenance.load_record(tmp_path / "p.json") == {"build": {}, "notebooks": {}}


def test_build_text():
    build = {"dataset": "sbu", "data_root": "../data/sbu", "profile": "paper", "jobs": 2, "banner": "SBU, paper"}
    assert provenance.build_text(build) == (
        "**This build**: dataset `sbu` (from `../data/sbu`), profile `paper`, 2 parallel job(s).\n\n> SBU, paper"
    )
    assert "(from" not in provenance.build_text({**build, "data_root": None})
    assert "trained" not in provenance.build_text({**build, "trained": {"runs": 0, "seconds": 0.0}})
    trained = provenance.build_text({**build, "trained": {"runs": 249, "seconds": 409.2}})
    assert "it trained the 249 run(s) their chapters missed in 409 s" in trained


def test_execution_parameter_and_environment_tables():
    later = {
        **NOTEBOOK,
        "source": "notebooks/b.md",
        "started": "2026-01-02T00:00:00",
        "git_commit": None,
        "git_dirty": False,
        "python": "3.12.0",
    }
    notebooks = {"a": NOTEBOOK, "b": later}
    table = provenance.execution_table(notebooks)
    assert table.loc["notebooks/a.md", "seconds"] == "3.1"
    assert table["git commit"].tolist() == ["0123456789ab (modified)", "unknown"]
    assert provenance.parameter_table(NOTEBOOK)["value"].to_dict() == {"profile": '"smoke"', "folds": "null"}
    packages, machine = provenance.environment_tables(notebooks)
    assert packages["version"].to_dict() == {"python": "3.12.0", "torch": "2.13.0", "absent": "not installed"}
    assert machine["value"].to_dict() == {"cpus": "2"}


def test_dataset_sentences():
    assert datasets.found_lines({"synthetic": [1, 2, 3]}, {"sbu": "not in <data>"}) == (
        "- **synthetic**: loaded (3 sequences)\n- **sbu**: not found. not in &lt;data&gt;"
    )
    info = dataset_info("sbu")
    assert datasets.counts_unavailable("sbu", info).startswith("Counting sequences needs the SBU files")
    assert datasets.counts_unavailable("sbu", info).endswith(f"its classes are {', '.join(info.class_names)}.")
    assert datasets.not_drawn("fpha").startswith("The FPHA sequences are not on this machine")


def test_the_papers_split_sentence_gives_the_authors_metric_beside_his_figure():
    from types import SimpleNamespace

    import pandas as pd

    from gcnprune.book.report.results import dense_on_papers_split

    info = SimpleNamespace(name="sbu", papers_split=4)
    runs = pd.DataFrame({"method": ["dense", "dense", "dense", "magnitude"], "fold": [4, 4, 0, 4],
                         "accuracy": [0.9, 0.8, 0.5, 0.1], "class_mean_accuracy": [0.88, 0.78, 0.5, 0.1]})  # fmt: skip
    text = dense_on_papers_split(SimpleNamespace(runs=runs, info=info))
    assert text.startswith("The dense network reaches 85.0 % on this split (mean of 2 seeds), and 83.0 %")
    assert text.endswith("the author reports 98.4 % for his network.")
    older = dense_on_papers_split(SimpleNamespace(runs=runs.drop(columns="class_mean_accuracy"), info=info))
    assert "its runs predate the author's metric" in older and "83.0" not in older
    synthetic = SimpleNamespace(runs=runs, info=SimpleNamespace(name="synthetic", papers_split=4))
    assert "author reports" not in dense_on_papers_split(synthetic)


def test_head_facts_name_the_fastest_model_near_dense_of_all_methods_and_of_the_rate_only_ones():
    import pandas as pd

    from gcnprune.book.report.committed_models import head_facts

    rows = [("dense", 0.0, 0.90, 1.0, 1.0), ("magnitude", 0.99, 0.89, 1.5, 1.9),
            ("probabilistic", 0.99, 0.86, 1.4, 1.8), ("head_magnitude", 0.98, 0.885, 3.5, 1.9),
            ("head_magnitude (head_share=0.125)", 0.99, 0.86, 5.1, 2.0),
            ("head_magnitude (head_share=0.0)", 0.99, 0.60, 11.0, 3.0)]  # fmt: skip
    bench = pd.DataFrame([{"method": m, "rate": r, "accuracy": a, "latency_64_ratio": b64, "latency_1_ratio": b1,
                           "cold_latency_64_ratio": 0.8 * b64, "format": "compact"}
                          for m, r, a, b64, b1 in rows])  # fmt: skip
    facts = head_facts(bench)
    assert facts["ph_dense"] == "90.0 %"
    assert facts["ph_within_2"].startswith("MP keeping ¼ of the heads at 0.98 (88.5 %, 3.50×")
    assert facts["ph_rate_within_2"].startswith("MP (global) at 0.99 (89.0 %, 1.50×")
    assert facts["ph_within_5"].startswith("MP keeping ⅛ of the heads at 0.99 (86.0 %, 5.10×")
    assert facts["ph_fastest_0_99"].startswith("MP keeping no attention head at 0.99 (60.0 %, 11.00×")
    assert facts["ph_within_2"].endswith("1.90× at batch 1; 2.80× at batch 64 cold)")
