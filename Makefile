# buildorch: `make demo` runs the main job, `make test` runs every test.
# Both bring up the hermetic BuildKit stack first (scripts/stack up, needs root);
# `make test` adds what only the tests use: the arm64 stand-in, two buildkitd nodes (--all).
# `scripts/stack purge` takes the machine back to before the stack, for a first run.
VENV  ?= .venv
PY    := $(VENV)/bin/python
SUDO  := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
# Prerequisites side by side (the venv's pip beside the stack's apt): each prints as it goes.
MAKEFLAGS += --jobs=2
PYTEST_ARGS ?=
comma := ,

.PHONY: all venv stack stack-all stack-status test test-slow test-compat reliability unit integration go-test lint lint-tools docs demo bench clean report-screenshot

all: test

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q -U pip
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

stack:
	$(SUDO) scripts/stack up

stack-all:
	$(SUDO) scripts/stack up --all

stack-status:
	scripts/stack status

go-test:
	cd app && go vet ./... && test -z "$$(gofmt -l .)" && go test -count=1 ./...

unit: venv
	$(PY) -m pytest tests -m "not integration" $(PYTEST_ARGS)

integration: venv stack-all
	$(PY) -m pytest tests -m integration $(PYTEST_ARGS)

# Go tests, then unit and integration tests in one pytest run; the slow ones (builds from nothing on
# throwaway builders or the buildkitd nodes, the two longest cache round trips; marked `slow`) are
# `make test-slow`, which .ci/run runs after: `make test` stays under 20 minutes on a warm machine.
test: venv stack-all go-test
	$(PY) -m pytest tests -m "not slow" --durations=15 $(PYTEST_ARGS)

test-slow: venv stack-all
	$(PY) -m pytest tests -m slow --durations=15 $(PYTEST_ARGS)

# The build, bake and cache tests again on Debian's buildx 0.13.1, which the stack keeps beside the
# current one (scripts/lib/buildx.sh): a DOCKER_CONFIG whose only plugin is the old buildx.
COMPAT_DOCKER_CONFIG ?= $(or $(BUILDORCH_STACK_DIR),/var/lib/buildorch-stack)/buildx/compat-config
COMPAT_TESTS := tests/integration/test_build.py tests/integration/test_build_flags.py tests/integration/test_bake.py \
	tests/integration/test_cache.py
test-compat: venv stack-all
	DOCKER_CONFIG=$(COMPAT_DOCKER_CONFIG) docker buildx version | grep -q ' 0\.13\.' \
		|| { echo "test-compat: $(COMPAT_DOCKER_CONFIG) does not give buildx 0.13 (scripts/stack up --all makes it)" >&2; exit 1; }
	DOCKER_CONFIG=$(COMPAT_DOCKER_CONFIG) $(PY) -m pytest $(COMPAT_TESTS) $(PYTEST_ARGS)

# Faults, kills, concurrency and hostile input on the real stack, with figures and goals
# (reliability/results/latest.json and .md; exit 1 when a goal is missed). RELIABILITY=a,b runs some scenarios.
reliability: venv stack-all
	$(PY) -m reliability $(foreach r,$(subst $(comma), ,$(RELIABILITY)),--only $(r))

SHELL_SCRIPTS := scripts/stack scripts/buildkitd-nodes scripts/demo scripts/lib/common.sh scripts/lib/buildx.sh scripts/lib/supply-tools.sh scripts/lib/buildkit-image.sh .ci/run

lint-tools:
	$(SUDO) scripts/stack lint-tools

lint: venv lint-tools
	shellcheck $(SHELL_SCRIPTS)
	$(VENV)/bin/ruff check buildorch tests bench reliability scripts/*.py
	$(VENV)/bin/mypy

# The reference under docs/, built by mkdocs in strict mode: a broken link or a page left out of the nav fails.
docs: venv
	$(VENV)/bin/pip install -q -e '.[docs]'
	$(VENV)/bin/mkdocs build --strict

demo: venv stack
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" scripts/demo

# The README's picture of `buildorch report`: a two-platform build of the demo app with a new VERSION
# (the go build runs, the rest is cached), drawn by headless Chromium at 1280 px. Needs the stack up
# (make stack-all; it installs chromium); the build joins .buildorch/history/, so the trend grows each run.
REPORT_PNG ?= docs/img/report.png
report-screenshot: venv stack-all
	$(PY) -m buildorch build app --platform linux/amd64,linux/arm64 --version 0.1.0-demo.$$(date +%s) \
		--progress quiet --report .buildorch/report.html
	mkdir -p $(dir $(REPORT_PNG))
	$(PY) -m tests.integration.chromium .buildorch/report.html $(REPORT_PNG)

bench: venv stack
	$(VENV)/bin/pip install -q -e '.[bench]'
	$(PY) -m bench $(foreach b,$(subst $(comma), ,$(BENCH)),--only $(b))

clean:
	rm -rf $(VENV) .buildorch .pytest_cache .mypy_cache .ruff_cache
