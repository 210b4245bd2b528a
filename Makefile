# livelens — the two commands the README names are `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml hatch_build.py src/livelens/_columnar.c | cksum | cut -d' ' -f1)

.PHONY: setup system demo test lint typecheck unit sanitize-c bench bench-engine bench-comments bench-compare train-sentiment lock clean bench-crm bench-anomaly bench-qa

setup: $(STAMP) system web/node_modules/.installed

## Debian packages (Chromium, CJK fonts, poppler) where missing; see scripts/setup_system.sh.
system:
	@bash scripts/setup_system.sh

## The live screen's front-end packages (ECharts), pinned by web/package-lock.json, served locally.
web/node_modules/.installed: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund --loglevel=error
	touch $@

$(STAMP): requirements.lock pyproject.toml hatch_build.py src/livelens/_columnar.c
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "livelens needs Python >= 3.11")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	rm -f $(VENV)/.installed-* && touch $@

## The main job: a simulated AI-host session live through the engine, the live screen, the review.
demo: setup
	$(BIN)/livelens demo --out demo-output

## The whole test suite: lint, types, tests.
test: setup lint typecheck unit

lint: setup
	$(BIN)/ruff check src tests bench scripts hatch_build.py
	$(BIN)/ruff format --check src tests bench scripts hatch_build.py

typecheck: setup
	$(BIN)/mypy

## Every core: pytest-xdist workers, long tests stolen by idle workers.
unit: setup
	$(BIN)/pytest -n auto --dist worksteal

## The C module under ASan + UBSan, with the tests that drive it (scripts/sanitize_c.sh).
sanitize-c: setup
	bash scripts/sanitize_c.sh

bench: setup
	$(BIN)/python bench/bench_ingest.py

## The live engine (issue 3): throughput, latency at 400k events/s, state size for 1M viewers.
bench-engine: setup
	$(BIN)/python bench/bench_engine.py

## One core, as the issue measures it: the per-comment NLP path and the sentiment model alone.
bench-comments: setup
	taskset -c 1 $(BIN)/python bench/bench_comments.py
	taskset -c 1 $(BIN)/python bench/bench_sentiment.py

## Retrain the shipped sentiment model from ../shared/data/reviews (byte-identical on re-run).
train-sentiment: setup
	$(BIN)/python scripts/train_sentiment.py

## livelens vs pandas vs PySpark Structured Streaming, in a separate environment (.venv-compare).
bench-compare:
	$(PYTHON) -m venv .venv-compare
	.venv-compare/bin/python -m pip install --quiet --disable-pip-version-check -r bench/requirements-compare.txt
	.venv-compare/bin/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	.venv-compare/bin/python bench/bench_compare_spark.py

## Re-resolve requirements.lock from pyproject.toml (needs network to PyPI).
lock: setup
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra train --python-version 3.11 -o requirements.lock

clean:
	rm -rf $(VENV) .venv-compare web/node_modules demo-output .pytest_cache .mypy_cache .ruff_cache src/livelens/_columnar*.so

## CRM (issue: RFM + CLV): RFM on 1M customers / 10M transactions, BG/NBD + Gamma-Gamma fit on 1M,
## and lifetimes on the same input for the ratio (about 3 minutes on 2 cores).
bench-crm: setup
	$(BIN)/python bench/bench_crm.py

## Anomaly scoring of one minute for 1,000 concurrent rooms (issue 8).
bench-anomaly: setup
	$(BIN)/python bench/bench_anomaly.py

## Live Q&A: p99 from a question's arrival to its answer at 2,000 questions/s (issue 10).
bench-qa: setup
	$(BIN)/python bench/bench_qa.py --rate 2000 --seconds 30
