# Set-up and checks. Every target creates .venv first when it is missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: venv demo test lint format bench clean

venv: $(INSTALLED)

# Locked install: requirements/lock.txt pins every package (runtime and dev), so each install
# resolves the same versions.
$(INSTALLED): pyproject.toml requirements/lock.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/lock.txt -e '.[dev]'
	@touch $(INSTALLED)

demo: $(INSTALLED)
	$(BIN)/riskkit demo

test: $(INSTALLED)
	$(BIN)/python -m pytest

lint: $(INSTALLED)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

format: $(INSTALLED)
	$(BIN)/ruff check --fix src tests benchmarks
	$(BIN)/ruff format src tests benchmarks

bench: $(INSTALLED)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements/lock.txt -e '.[dev,bench]'
	$(BIN)/python benchmarks/cli_startup.py
	$(BIN)/python benchmarks/synthetic_speed.py
	$(BIN)/python benchmarks/accuracy.py

clean:
	rm -rf $(VENV) demo_output mlflow.db mlruns .pytest_cache .mypy_cache .ruff_cache
