# tierroute: `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install demo demo-registry test lint typecheck pytest bench baseline examples clean model

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[train,dev]'
	touch $@

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
	$(BIN)/tierroute train --data $(LABELS_DIR)/labels.parquet --out $(MODEL_DIR) \
	    --teacher-out $(TEACHER_DIR)
	$(BIN)/tierroute evaluate --model $(MODEL_DIR) --data $(LABELS_DIR)/labels.parquet \
	    --compare teacher=$(TEACHER_DIR) --card --out build/reports/model

examples: install
	$(BIN)/python examples/build_prompts.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
