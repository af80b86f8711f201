# Every target runs from a fresh clone with only Python 3.11, Java 17, git and gcc.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
export SPARK_LOCAL_IP ?= 127.0.0.1
export PYSPARK_PYTHON := $(abspath $(PY))
export PYSPARK_DRIVER_PYTHON := $(abspath $(PY))

.PHONY: setup sample test test-fast bench bench-scale bench-incremental-scale lint dist clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -e '.[dev,guesslang,tracking]'
	# guesslang 2.2.1 pins tensorflow==2.5 (no 3.11 build): install it alone, it runs on
	# the tensorflow-cpu pinned in the guesslang extra (see src/codecurate/text/guesslang_compat.py)
	$(PIP) install --quiet --no-deps guesslang==2.2.1
	touch $@

# Re-running rebuilds the sample and republishes its release (the sample is scratch data).
sample: setup
	$(VENV)/bin/codecurate sample --out sample
	$(VENV)/bin/codecurate run --config configs/local.yaml --set release.overwrite=true

# Everything: unit, Spark, end-to-end and the standalone-cluster tests (tests/<layer>/).
test: setup
	$(VENV)/bin/pytest -q

# The inner loop: pure per-row logic, config, layout and release files; no JVM.
test-fast: setup
	$(VENV)/bin/pytest -q tests/unit

bench: setup
	$(PY) -m codecurate.dev.bench

# The whole pipeline on a ~1.1 GB, 170k-file generated export (built once into out/scale-1100,
# ~75 s), local[2], default config; per-stage figures at the end. Not part of `make test`.
SCALE ?= 1100
bench-scale: setup
	$(PY) -m codecurate.dev.bench.scale --scale $(SCALE)
bench-incremental-scale: setup
	$(PY) -m codecurate.dev.bench.scale --scale $(SCALE) --incremental --out out/bench-incremental-scale

lint: setup
	$(VENV)/bin/ruff check src jobs tests scripts

dist: setup
	$(PY) -m codecurate.dev.dist --out dist

clean:
	rm -rf sample out dist .pytest_cache
