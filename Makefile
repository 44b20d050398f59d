# Two commands on a fresh machine:
#   make book   create .venv if needed, install the pinned dependencies, then build book/_build/html/: the SBU
#               results of the paper profile, read from the committed runs in results/. Without the SBU data
#               it trains nothing, and a run missing from results/ stops it with the command that trains it.
#   make test   the same set-up, then lint (ruff check, ruff format --check) and run the tests
#   make check-book   open every built page in headless Chromium (console errors, raw TeX, broken links, images)
# Book variables: DATASET (sbu, fpha or synthetic; default sbu), PROFILE (smoke, quick or paper; default paper
# for sbu and fpha, quick for synthetic), DATA (the dataset's folder; where the data is at hand, runs missing
# from the cache are trained), JOBS (parallel training runs), RESULTS (the run cache). E.g.
#   make book DATASET=synthetic          everything trained on generated skeletons (no data needed)
#   make book DATA=../shared/data/sbu    the SBU book, training the runs missing from results/

DATASET ?= sbu
# Empty: the dataset's default profile (gcnprune.experiments.profiles.DEFAULT_PROFILES).
PROFILE ?=
DATA ?=
JOBS ?= 2
# The run cache (committed results/ by default).
RESULTS ?= results

VENV := .venv
BIN := $(VENV)/bin
# Installed when pyproject.toml is older than this stamp; delete it (or the venv) to force a reinstall.
STAMP := $(VENV)/.installed-book-test
# The first Python >= 3.11 on PATH (override with make PYTHON=/path/to/python3.x).
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
	&& { echo $$p; break; }; done)

# The book finds real datasets (to describe them, and to train runs missing from the cache) in $$GCNPRUNE_DATA
# and data/<name>, and also in the project's shared folder ../shared/data when it exists (the runner looks there
# itself: gcnprune.book.build.cli.shared_data, so that a chapter rerun by hand finds what make book finds).

.PHONY: book check-book test install clean-book

book: $(STAMP)
	$(BIN)/python -m gcnprune.book --dataset $(DATASET) $(if $(PROFILE),--profile $(PROFILE)) --jobs $(JOBS) --results $(RESULTS) $(if $(DATA),--data $(DATA))

# Needs Debian's chromium (apt-get install chromium); screenshots go to book/_build/screenshots/.
check-book: $(STAMP)
	$(BIN)/python -m gcnprune.book.browser_check book/_build/html

# Lint first (rules and line length in pyproject.toml): a lint error or an unformatted file fails the target.
LINTED := lib tests scripts

test: $(STAMP)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/python -m pytest

install: $(STAMP)

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "error: no Python >= 3.11 found on PATH; run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -e ".[book,test,cluster,onnx]"
	@touch $@

clean-book:
	rm -rf book/_build book/notebooks
