# Two entry points: `make demo` (the main job, end to end) and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR := data/demo
DEMO_ENTERPRISES ?= 20000
DEMO_MONTHS ?= 48

.PHONY: install demo test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: install
	rm -rf $(DEMO_DIR)
	$(BIN)/ecr synth --out $(DEMO_DIR)/province --enterprises $(DEMO_ENTERPRISES) \
		--months $(DEMO_MONTHS) --seed 7
	$(BIN)/ecr ingest $(DEMO_DIR)/province --store $(DEMO_DIR)/store
	$(BIN)/ecr summary --store $(DEMO_DIR)/store
	$(BIN)/ecr features --as-of 2025-12-31 --store $(DEMO_DIR)/store \
		--out $(DEMO_DIR)/features-2025-12-31.parquet

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data build *.egg-info
