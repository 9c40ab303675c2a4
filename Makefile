# procdoc: every target creates what it needs (a virtualenv with the packages).
PYTHON ?= python3
VENV   ?= .venv
ifeq ($(OS),Windows_NT)
BIN := $(VENV)/Scripts
else
BIN := $(VENV)/bin
endif
PY := $(BIN)/python
STAMP := $(VENV)/.installed

.PHONY: install test lint check bench demo clean messages

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n 2

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks tools
	$(BIN)/ruff format --check src tests benchmarks tools
	$(BIN)/mypy src

check: lint test

bench: $(STAMP)
	$(PY) benchmarks/run_all.py

# The Chinese message catalogue: extract the messages from the sources, merge them into
# src/procdoc/locale/zh_CN/LC_MESSAGES/procdoc.po (new ones arrive untranslated; a test
# fails until they are translated), and compile procdoc.mo.
LOCALE := src/procdoc/locale
POT    := $(LOCALE)/procdoc.pot
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k ngettext:1,2 -k pgettext:1c,2 --sort-by-file \
	  --project procdoc --copyright-holder "procdoc" --msgid-bugs-address "" -o $(POT) .
	$(BIN)/pybabel update -i $(POT) -d $(LOCALE) -D procdoc -l zh_CN --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d $(LOCALE) -D procdoc -l zh_CN --statistics

demo: $(STAMP)
	$(PY) samples/demo.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis demo out benchmarks/data src/*.egg-info
