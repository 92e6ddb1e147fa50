# ghostscope: build, test and benchmark entry points. Every target that needs tools runs
# scripts/ensure-deps.sh first (idempotent: silent when everything is there).
SHELL := /usr/bin/env bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := test

# The project's Deno: `deno` on PATH if 2.x, else .tools/deno (installed by `make deps`).
DENO ?= $(CURDIR)/scripts/deno
export DENO

FIXTURES_DIR := tests/fixtures
DEMO_SCRIPT := scripts/demo.gs
DEMO_DURATION ?= 5

.PHONY: deps fixtures check test demo build install bench clean distclean shellcheck

deps:
	@scripts/ensure-deps.sh

fixtures: deps
	@$(MAKE) --no-print-directory -s -C $(FIXTURES_DIR)

check: deps
	$(DENO) fmt --check
	$(DENO) lint
	$(DENO) check main.ts .

# deno test's own summary is "ok | N passed | M failed (..)"; the last line repeats it in the
# plain "N passed, M failed, K skipped" form.
test: deps fixtures check
	@scripts/run-tests.sh

demo: deps fixtures
	@scripts/demo.sh '$(DEMO_SCRIPT)' $(DEMO_DURATION)

build: deps
	@scripts/build.sh

# `make install [PREFIX=/usr/local]`: a `ghostscope` command in PREFIX/bin (scripts/install.sh).
PREFIX ?= /usr/local
install: build
	@scripts/install.sh '$(PREFIX)'

# Runs the bundle users run (dist/ghostscope.js, rebuilt first) next to bpftrace; the report goes to
# bench/out/latest.md; the README's table is regenerated from that run (bench/readme_table.ts).
# `make bench BENCH_ARGS='--reps 9'`; bench/startup.ts profiles start-up.
bench: deps fixtures
	@scripts/build.sh --bundle-only
	$(DENO) run -A bench/run.ts $(BENCH_ARGS)
	$(DENO) run -A bench/readme_table.ts bench/out/latest.json

shellcheck:
	@scripts/ensure-deps.sh shellcheck
	shellcheck -x scripts/*.sh scripts/deno .ci/run

clean:
	@$(MAKE) --no-print-directory -s -C $(FIXTURES_DIR) clean
	rm -rf dist bench/out

# Also drops the project-local Deno (.tools/), reinstalled by the next `make deps` if needed.
distclean: clean
	rm -rf .tools
