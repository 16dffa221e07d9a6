# Two entry points: `make demo` (the main job, end to end) and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DIR := data/demo
DEMO_ENTERPRISES ?= 20000
DEMO_MONTHS ?= 48
DEMO_TRIALS ?= 8

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
	$(BIN)/ecr train --store $(DEMO_DIR)/store --training-set $(DEMO_DIR)/training-set.parquet \
		--trials $(DEMO_TRIALS) --run-name demo | tee $(DEMO_DIR)/train.log
	$(BIN)/ecr promote "$$(tail -n 1 $(DEMO_DIR)/train.log | sed 's|.*/||')"
	$(BIN)/ecr runs --limit 4
	$(BIN)/ecr score --table $(DEMO_DIR)/features-2025-12-31.parquet --keep uscc \
		--out $(DEMO_DIR)/scores-2025-12-31.csv
	$(BIN)/ecr explain "$$(awk -F, 'NR > 1 && $$6 == "\"D\"" {gsub(/"/, "", $$1); print $$1; exit}' \
		$(DEMO_DIR)/scores-2025-12-31.csv)" --as-of 2025-12-31 --store $(DEMO_DIR)/store
	@echo "MLflow UI: $(BIN)/mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db"

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf $(VENV) data build *.egg-info
