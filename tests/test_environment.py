"""environment.yml, pyproject.toml and the Makefile must describe the same pinned environment."""

from __future__ import annotations

import re
import tomllib

import pytest

yaml = pytest.importorskip("yaml")


@pytest.fixture(scope="module")
def pyproject(repo_root):
    return tomllib.loads((repo_root / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def environment(repo_root):
    return yaml.safe_load((repo_root / "environment.yml").read_text())


def _split(environment):
    conda = [d for d in environment["dependencies"] if isinstance(d, str)]
    pips = [d["pip"] for d in environment["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pips) == 1, "environment.yml needs exactly one pip: section"
    return conda, pips[0]


def _makefile_extras(repo_root) -> list[str]:
    found = re.findall(r'pip install -e "\.\[([^\]]*)\]"', (repo_root / "Makefile").read_text())
    assert len(found) == 1, 'the Makefile should install the package once, as pip install -e ".[extras]"'
    return [e.strip() for e in found[0].split(",")]


def test_pip_section_matches_pyproject_exactly(pyproject, environment, repo_root):
    _, pip = _split(environment)
    project = pyproject["project"]
    extras = _makefile_extras(repo_root)
    assert sorted(extras) == ["book", "cluster", "onnx", "test"]
    expected = list(project["dependencies"])
    for extra in extras:
        expected += project["optional-dependencies"][extra]
    listed = [p for p in pip if p != "-e ."]
    assert "-e ." in pip, "the pip section must install the package itself with -e ."
    assert len(listed) == len(set(listed)), "duplicate packages in environment.yml"
    assert sorted(listed) == sorted(expected), (
        f"only in environment.yml: {sorted(set(listed) - set(expected))}; "
        f"only in pyproject.toml: {sorted(set(expected) - set(listed))}"
    )


def test_every_package_is_pinned(pyproject, environment):
    _, pip = _split(environment)
    for requirement in [p for p in pip if p != "-e ."]:
        assert re.fullmatch(r"[A-Za-z0-9_.\-]+==[A-Za-z0-9_.+\-]+", requirement), f"{requirement} is not pinned with =="


def test_python_version_agrees(pyproject, environment):
    conda, _ = _split(environment)
    assert environment["name"] == "gcnprune"
    assert "pip" in conda
    pythons = [d for d in conda if d.startswith("python")]
    assert pythons == ["python=3.11"]
    minimum = re.fullmatch(r">=\s*(\d+)\.(\d+)", pyproject["project"]["requires-python"])
    assert minimum is not None
    assert (3, 11) >= (int(minimum[1]), int(minimum[2]))
