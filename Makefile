# The two commands:  make book [SCALE=smoke|cpu|paper]   and   make test
#   make book RECOMPUTE=1        retrain every run, then a table of what moved against the shipped
#   make book EXECUTOR=tcp://host:8786   train on a dask.distributed cluster (or EXECUTOR=local:2)
#   make book JOBS=1             execute the chapters one after another (default: one per core)
#   make campaign SCALE=paper [CHAPTERS=03,04] [HOURS=6]   fill a scale's runs, resumably
#   make campaign SCALE=paper CHAPTERS=04 PARAMS="transplant_seeds=0 grokfast_settings=[adam-l2]"
#       part of one chapter's plan (notebook parameters, no spaces inside a value)
SCALE ?= cpu
BOOK_FLAGS = $(if $(filter 1,$(RECOMPUTE)),--recompute) $(if $(EXECUTOR),--executor $(EXECUTOR)) \
	$(if $(JOBS),--jobs $(JOBS))
VENV  := .venv
PY    := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Python 3.11: the pinned torch (2.13.0, CPU build) and every shipped run record were made with
# it. The first of python3.11 and python3 that is 3.11; `make PYTHON=/path/to/python3.11` to choose.
PYTHON ?= $(shell for p in python3.11 python3; do \
	$$p -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' >/dev/null 2>&1 \
	&& { command -v $$p; break; }; done)

.PHONY: book test install assets clean nbval-refs nbval-paths campaign serve lock

# Create .venv if missing and install requirements.lock (every dependency, exact and hashed),
# then the project itself; redone only when pyproject.toml or the lock changes.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || test -n "$(PYTHON)" || { \
	  echo "make: grokbook needs Python 3.11 (python3.11, or python3 being 3.11); found none:" \
	       "python3 is $$(python3 --version 2>&1 || echo missing)." \
	       "Install Python 3.11 or run make PYTHON=/path/to/python3.11" >&2; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check "pip==26.3"
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(PY) -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $(STAMP)

install: $(STAMP)

# Offline JavaScript for widgets and math, fetched once from the npm registry (pinned, checksummed).
assets:
	bash book/fetch_assets.sh

book: install assets
	$(PY) book/build.py --scale $(SCALE) $(BOOK_FLAGS)

campaign: install assets
	$(PY) -m grokcore campaign --scale $(SCALE) $(if $(CHAPTERS),--chapters $(CHAPTERS)) \
		$(if $(HOURS),--hours $(HOURS)) $(if $(EXECUTOR),--executor $(EXECUTOR)) \
		$(foreach p,$(PARAMS),--param '$(p)')

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

# nbval on the smoke references under three float paths, each with an empty run cache (as CI
# starts): the ISA pin (grokcore.cpu_isa), MKL's vendor-independent path (an AMD EPYC's MKL path
# differs from an Intel Xeon's), and each library's widest ISA. A reference that passes all three
# does not depend on which CPU the CI machine has; run it after make nbval-refs (~15 min).
NBVAL_PATHS = GROKCORE_CPU_ISA=avx2 MKL_CBWR=COMPATIBLE GROKCORE_CPU_ISA=native
nbval-paths: install assets
	@for v in $(NBVAL_PATHS); do \
		d=$$(mktemp -d); echo "nbval with $$v (run cache $$d)"; \
		env $$v GROKCORE_CACHE=$$d $(PY) -m pytest -q -p no:cacheprovider tests/nbval \
			|| { rm -rf $$d; echo "make: the smoke references differ with $$v" >&2; exit 1; }; \
		rm -rf $$d; \
	done

# Serve the built book on http://localhost:8000 (after make book).
serve:
	@test -f book/_build/html/index.html || { echo "make: no built book: run make book first" >&2; exit 1; }
	$(PY) -m http.server --directory book/_build/html --bind 127.0.0.1 8000

# Regenerate requirements.lock from pyproject.toml, keeping the locked versions where they still
# fit (pip-tools in a throwaway venv; add --upgrade-package NAME to move one package).
lock:
	$(PYTHON) -m venv .cache/piptools && .cache/piptools/bin/pip install -q pip-tools==7.6.2
	.cache/piptools/bin/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	  --extra book --extra test --extra cluster --no-emit-index-url --no-emit-find-links \
	  --output-file requirements.lock pyproject.toml
