# The two commands:  make book [SCALE=smoke|cpu|paper]   and   make test
SCALE ?= cpu
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: book test install assets clean nbval-refs

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
	$(PY) book/build.py --scale $(SCALE)

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
