# tierroute: `make demo` and `make test` work on a fresh machine with Python 3.11.
SHELL  := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install lock test-latest demo demo-registry test lint typecheck pytest bench baseline examples clean model

# The lock (requirements.lock) is the only input of an install: every package of the base,
# `train` and `dev` sets plus pip/setuptools/wheel, pinned with hashes, for CPython 3.11 on
# Linux x86-64. torch is the CPU wheel that pip finds through its find-links (/opt/wheels).
LOCK       := requirements.lock
UV_VERSION := 0.13.9
UV         := build/uv/bin/uv
LOCK_FLAGS := --extra train --extra dev --generate-hashes --python-version 3.11 \
              --python-platform x86_64-manylinux_2_28 --find-links /opt/wheels

# The lock's hashes decide what is installed, wherever pip finds a file; the machine's extra
# local indexes only add one "ignored" warning per package, so they are switched off here.
PIP_QUIET := PIP_EXTRA_INDEX_URL=" "

# setuptools prints an informational note (InformationOnly, not a deprecation) on every
# editable install; it is filtered by its text so that any real warning still shows.
EDITABLE := PYTHONWARNINGS="ignore:Editable installation" $(BIN)/python -m pip install \
            --quiet --no-deps --no-build-isolation -e .

install: $(VENV)/.installed

$(VENV)/.installed: $(LOCK) pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP_QUIET) $(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(EDITABLE)
	$(BIN)/python -m pip check
	touch $@

$(UV):
	$(PYTHON) -m venv build/uv
	build/uv/bin/python -m pip install --quiet uv==$(UV_VERSION)

# Re-resolve the lock from pyproject's ranges (newest versions the index serves that fit).
# To upgrade one package only: make lock LOCK_ARGS="--upgrade-package litellm".
lock: $(UV)
	printf 'pip\nsetuptools>=77\nwheel\n' > build/lock-build.in
	$(UV) pip compile --quiet pyproject.toml build/lock-build.in $(LOCK_FLAGS) $(LOCK_ARGS) \
	    --no-header --output-file $(LOCK)
	sed -i 's|build/lock-build.in|build requirements (pip, setuptools, wheel)|' $(LOCK)

# The suite in a throw-away venv with the newest versions the index serves today (no lock),
# so that drift shows before a `make lock` takes it in. Not part of `make test` or CI.
LATEST := build/latest
test-latest: $(UV)
	rm -rf $(LATEST) && mkdir -p $(LATEST)
	printf 'pip\nsetuptools>=77\nwheel\n' > $(LATEST)/build.in
	$(UV) pip compile --quiet pyproject.toml $(LATEST)/build.in $(LOCK_FLAGS) --upgrade \
	    --no-header --output-file $(LATEST)/requirements.txt
	diff <(grep -E '^[a-z0-9]' $(LOCK)) <(grep -E '^[a-z0-9]' $(LATEST)/requirements.txt) \
	    > $(LATEST)/drift.txt || true
	@echo "Versions that differ from the lock (< lock, > newest):" && cat $(LATEST)/drift.txt
	$(PYTHON) -m venv $(LATEST)/venv
	$(PIP_QUIET) $(LATEST)/venv/bin/python -m pip install --quiet --require-hashes --no-deps \
	    -r $(LATEST)/requirements.txt
	$(EDITABLE:$(BIN)/%=$(LATEST)/venv/bin/%)
	$(LATEST)/venv/bin/ruff check . && $(LATEST)/venv/bin/ruff format --check .
	$(LATEST)/venv/bin/mypy
	$(LATEST)/venv/bin/pytest -q -p no:cacheprovider

# Validate the policy, show the decisions without servers, then run the loop: simulated
# backends + `tierroute serve`, the prompts through the openai client, cost vs all-frontier.
demo: install
	$(BIN)/tierroute policy validate policies/default.yaml
	$(BIN)/tierroute demo --prompts examples/prompts.jsonl
	$(BIN)/tierroute route "SELECT name FROM users WHERE id = 3; why is this slow?"
	$(BIN)/tierroute demo-loop --prompts examples/prompts.jsonl
	$(MAKE) --no-print-directory demo-registry

# The registry workflow on a local sqlite store: the shipped TF-IDF baseline as v1
# @champion, the shipped student as v2, and the review of v2 (HTML + JSON + MLflow).
DEMO_REG := $(CURDIR)/build/demo-registry
DEMO_URI := sqlite:///$(DEMO_REG)/mlflow.db
demo-registry: install
	rm -rf $(DEMO_REG) && mkdir -p $(DEMO_REG)
	$(BIN)/tierroute label examples/logs/openai_chat.jsonl examples/logs/routerbench_outcomes.csv \
	    --out $(DEMO_REG)/labels > $(DEMO_REG)/label.log
	$(BIN)/tierroute registry register classifier/_baseline --alias champion --tracking-uri $(DEMO_URI)
	$(BIN)/tierroute registry register classifier/_model --tracking-uri $(DEMO_URI)
	$(BIN)/tierroute review --challenger 2 --data $(DEMO_REG)/labels/labels.parquet \
	    --out $(DEMO_REG)/review --tracking-uri $(DEMO_URI)
	@echo "Look at it: LITELLM_LOCAL_MODEL_COST_MAP=True MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false \\"
	@echo "    $(BIN)/mlflow ui --port 5000 --backend-store-uri $(DEMO_URI)"
	@echo "  then Models > tierroute-complexity > Version 2 (description, review.* tags; the"
	@echo "  source run's Artifacts > review/review.html). Or open $(DEMO_REG)/review/review.html"

test: install lint typecheck pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

bench: install
	$(BIN)/python bench/route_latency.py

# Retrain the shipped TF-IDF baseline scorer from ../shared/data.
baseline: install
	$(BIN)/tierroute baseline

# Rebuild the shipped classifier (classifier/_model) from ../shared/data: soft labels
# from the shared benchmarks (+ 2,500 ShareGPT chats at the flat no-outcome prior, so that
# ordinary chat traffic is not read as Arena-Hard-level), then MiniLM teacher -> distilled
# INT8 student, then the evaluation vs baselines written into the model card (CPU, ~35 min).
MODEL_DIR  ?= classifier/_model
LABELS_DIR ?= build/labels
TEACHER_DIR ?= build/teacher
model: install
	$(BIN)/tierroute dataset shared --out $(LABELS_DIR) --sharegpt 2500
	$(BIN)/tierroute train --mode distill --data $(LABELS_DIR)/labels.parquet --out $(MODEL_DIR) \
	    --teacher-out $(TEACHER_DIR)
	$(BIN)/tierroute evaluate --model $(MODEL_DIR) --data $(LABELS_DIR)/labels.parquet \
	    --compare teacher=$(TEACHER_DIR) --card --out build/reports/model

examples: install
	$(BIN)/python examples/build_prompts.py

clean:
	rm -rf $(VENV) build/uv build/latest .mypy_cache .ruff_cache .pytest_cache *.egg-info
