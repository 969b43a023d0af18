# tierroute: `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export LITELLM_LOCAL_MODEL_COST_MAP := True
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install demo test lint typecheck pytest bench baseline examples clean model

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
# from the shared benchmarks, then MiniLM teacher -> distilled INT8 student (CPU, ~15-30 min).
MODEL_DIR  ?= classifier/_model
LABELS_DIR ?= build/labels
model: install
	$(BIN)/tierroute dataset shared --out $(LABELS_DIR)
	$(BIN)/tierroute train --data $(LABELS_DIR)/labels.parquet --out $(MODEL_DIR)

examples: install
	$(BIN)/python examples/build_prompts.py

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache *.egg-info
