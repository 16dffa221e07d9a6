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
DEMO_TRAIN_PERIODS ?= 12
DEMO_RESULTS := sqlite:///$(DEMO_DIR)/results.db

.PHONY: install browser demo serve test lint clean

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
	$(BIN)/ecr train --store $(DEMO_DIR)/store --training-set $(DEMO_DIR)/training-set.parquet \
		--trials $(DEMO_TRIALS) --train-periods $(DEMO_TRAIN_PERIODS) --run-name demo \
		| tee $(DEMO_DIR)/train.log
	$(BIN)/ecr promote "$$(tail -n 1 $(DEMO_DIR)/train.log | sed 's|.*/||')"
	$(BIN)/ecr runs --limit 4
	$(BIN)/ecr classify --as-of 2025-11-30 --store $(DEMO_DIR)/store \
		--database-url $(DEMO_RESULTS) --show-warnings 0
	$(BIN)/ecr classify --as-of 2025-12-31 --store $(DEMO_DIR)/store \
		--database-url $(DEMO_RESULTS)
	$(BIN)/ecr explain "$$($(BIN)/ecr warnings --as-of 2025-12-31 --limit 1 --ids-only \
		--database-url $(DEMO_RESULTS))" --as-of 2025-12-31 --store $(DEMO_DIR)/store
	$(BIN)/ecr history "$$($(BIN)/ecr warnings --as-of 2025-12-31 --limit 1 --ids-only \
		--database-url $(DEMO_RESULTS))" --database-url $(DEMO_RESULTS)
	$(BIN)/ecr draw create --period 2025-12-31 --task GEN --seed "demo 2025-12" \
		--seed-source "make demo" --store $(DEMO_DIR)/store --database-url $(DEMO_RESULTS) \
		| tee $(DEMO_DIR)/draw.log
	$(BIN)/ecr draw verify "$$(tail -n 1 $(DEMO_DIR)/draw.log)" --store $(DEMO_DIR)/store \
		--database-url $(DEMO_RESULTS)
	$(BIN)/python scripts/demo_service.py --store $(DEMO_DIR)/store \
		--database-url $(DEMO_RESULTS) --period 2025-12-31 --secret-file $(DEMO_DIR)/service.secret
	@echo "MLflow UI: $(BIN)/mlflow ui --backend-store-uri sqlite:///mlruns/mlflow.db"
	@echo "Results: $(DEMO_RESULTS) (ecr warnings / ecr history / any SQL client)"
	@echo "Pages: make serve, then http://127.0.0.1:8000/pages/ (log in with the regulator key above)"

serve: install
	ECR_STORE=$(DEMO_DIR)/store ECR_DATABASE_URL=$(DEMO_RESULTS) \
		ECR_SECRET_FILE=$(DEMO_DIR)/service.secret $(BIN)/ecr serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# The browser tests drive Debian's chromium (never a browser download) and need the CJK fonts
# to render Chinese; the Spark tests (`ecr classify --engine spark`, the engine parity tests)
# need a Java runtime (Debian's default-jre-headless: OpenJDK 17 or later). Whatever is missing
# is installed with one apt-get when run as root, else named; without Java the Spark tests
# skip, unless ECR_REQUIRE_SPARK=1 (as `.ci/run` sets), which makes a missing Java an error.
browser:
	@missing=""; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	fc-list :lang=zh 2>/dev/null | grep -q Noto || missing="$$missing fonts-noto-cjk"; \
	command -v java >/dev/null || [ -n "$${JAVA_HOME:-}" ] || \
		missing="$$missing default-jre-headless"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			export DEBIAN_FRONTEND=noninteractive; apt-get update -qq && \
			apt-get install -y -qq $$missing >/dev/null; \
		elif [ "$$missing" != " default-jre-headless" ] || \
				[ "$${ECR_REQUIRE_SPARK:-}" = 1 ]; then \
			echo "the tests need Debian's$$missing: sudo apt-get install$$missing" >&2; \
			exit 2; \
		fi; \
	fi

# The suite runs on every core (pytest-xdist), a module's tests on one worker so that its
# fixtures are built once; TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= auto

test: lint browser
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope

clean:
	rm -rf $(VENV) data build *.egg-info
