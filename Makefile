# Pressroom — every command an operator or developer needs. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install infra infra-down infra-status infra-reset topics dev demo test test-unit \
        test-integration lint format docs embeddings bench clean check-deploy up down locks audit

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-18s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml requirements.lock
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q uv==0.13.9
	# Compiled once here: with PYTHONDONTWRITEBYTECODE set (as on the CI machine) every
	# process would compile its imports again, about 1.2 s of CPU at each service's start.
	$(BIN)/uv pip install -q --compile-bytecode --python $(PY) -r requirements.lock
	$(BIN)/uv pip install -q --python $(PY) --no-deps -e .
	touch $@

install: $(STAMP) ## create .venv with the pinned dependencies

IMAGES := fetcher deduplicator summarizer publisher site digest
locks: $(STAMP) ## pin again: the dev lock (requirements.lock) and each image's runtime lock, with hashes (deploy/locks/)
	$(BIN)/uv pip compile -q pyproject.toml --extra dev -o requirements.lock --python $(PY)
	for image in $(IMAGES); do \
	  $(BIN)/uv pip compile -q pyproject.toml --extra $$image --generate-hashes \
	    -c requirements.lock --python-version 3.11 -o deploy/locks/$$image.txt || exit 1; \
	done

audit: $(STAMP) ## pip-audit each image's runtime lock; CycloneDX SBOMs into var/sbom/
	deploy/audit.sh

infra: $(STAMP) ## build (once) and start Kafka and the database (FerretDB v2 on PostgreSQL+DocumentDB), create topics
	deploy/local/infra.sh up
	$(BIN)/pressroom topics create

infra-down: ## stop Kafka, FerretDB and PostgreSQL (data kept in var/)
	deploy/local/infra.sh down

infra-status: ## say whether Kafka and the database run
	deploy/local/infra.sh status

infra-reset: ## stop both and delete their data
	deploy/local/infra.sh reset

dev: infra ## run the whole pipeline and the site on this machine
	$(PY) -m services.dev

demo: infra ## the same, fed by the local news server (real articles from ../shared/eval)
	$(PY) -m services.dev --demo

lint: $(STAMP) ## ruff and mypy
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shared services tests bench

format: $(STAMP) ## apply ruff's formatting and safe fixes
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test-unit: $(STAMP) ## fast tests, in memory
	$(BIN)/pytest tests/unit -q

test-integration: infra ## tests against the real broker and database
	$(BIN)/pytest tests/integration -q

check-deploy: $(STAMP) ## validate compose, the k8s overlays and the Prometheus rules offline
	deploy/check.sh

test: lint check-deploy infra ## lint, deployment checks, then every test (unit and integration)
	$(BIN)/pytest tests -q --durations=15

embeddings: $(STAMP) ## serve BGE-small as an OpenAI-compatible /v1/embeddings on 127.0.0.1:8100
	$(BIN)/pressroom embeddings-server --port 8100

bench: infra ## measure the pipeline, the stages, the site against nginx, Lighthouse and the broker (~15 min)
	@command -v wrk >/dev/null && command -v nginx >/dev/null && command -v chromium >/dev/null || \
	  (apt-get update -qq && apt-get install -y -qq wrk nginx-light chromium)  # chromium: Lighthouse
	$(PY) -m bench

up: ## docker compose: build the images and start everything (needs a Docker engine)
	test -f .env || cp .env.example .env
	docker compose up -d --build

down: ## docker compose: stop everything (volumes kept)
	docker compose down

docs: $(STAMP) ## regenerate the AsyncAPI document under docs/
	$(BIN)/faststream docs gen --factory services.asyncapi:build --yaml --out docs/asyncapi.yaml

clean: ## remove caches (not var/ data)
	rm -rf .pytest_cache .mypy_cache .ruff_cache
