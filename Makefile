# The two commands:  make book [SCALE=smoke|cpu|paper]   and   make test
#   make book RECOMPUTE=1        retrain every run, then a table of what moved against the shipped
#   make book EXECUTOR=tcp://host:8786   train on a dask.distributed cluster (or EXECUTOR=local:2)
#   make campaign SCALE=paper [CHAPTERS=03,04] [HOURS=6]   fill a scale's runs, resumably
SCALE ?= cpu
BOOK_FLAGS = $(if $(filter 1,$(RECOMPUTE)),--recompute) $(if $(EXECUTOR),--executor $(EXECUTOR))
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: book test install assets clean nbval-refs campaign

# Create .venv if missing and install the pinned project; redone only when pyproject.toml changes.
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade "pip>=24"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[book,test]"
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

# Offline JavaScript for widgets and math, fetched once from the npm registry (pinned, checksummed).
assets:
	bash book/fetch_assets.sh

book: install assets
	$(PY) book/build.py --scale $(SCALE) $(BOOK_FLAGS)

campaign: install assets
	$(PY) -m grokcore.campaign --scale $(SCALE) $(if $(CHAPTERS),--chapters $(CHAPTERS)) \
		$(if $(HOURS),--hours $(HOURS)) $(if $(EXECUTOR),--executor $(EXECUTOR))

test: install assets
	bash tests/ensure_chromium.sh
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

clean:
	rm -rf book/_build book/chapters .cache

# Refresh the committed smoke-scale reference execution that nbval re-runs and compares.
nbval-refs: install assets
	$(PY) book/build.py --scale smoke --out .cache/nbval-refs
	cp .cache/nbval-refs/chapters/*.ipynb tests/nbval/
