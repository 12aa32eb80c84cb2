# kiln: build, tools, tests. `make test` is what CI runs (.ci/run); `make demo` is the main job.
SHELL := /bin/bash
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT  ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/kiln-ci/kiln/internal/version.Version=$(VERSION) -X github.com/kiln-ci/kiln/internal/version.Commit=$(COMMIT)
BIN     := $(CURDIR)/bin
STEPS   := validate bake test deploy-dev promote destroy-dev rotate rollback sweep revoke drift
FUZZTIME ?= 10s

.PHONY: ci-tools build tools demo-tools test test-short fuzz lint bench clean demo demo-clean bench-local chaos

## build: the step binaries into bin/
build:
	@mkdir -p $(BIN)
	go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/ $(addprefix ./steps/kiln-,$(STEPS))

## tools: Terraform 1.5.7, Packer 1.9.4, goss, the Vault dev server and an OCI registry (for
## tests) built from the Go module proxy into .tools/bin, side by side, cached
tools:
	bash scripts/tools.sh terraform packer goss vault registry

## demo-tools: what the demo needs of them (no Vault)
demo-tools:
	bash scripts/tools.sh terraform packer goss

## test: everything CI runs: tools, vet, the whole test suite with the real tools, fuzzing briefly
test: tools ci-tools lint
	KILN_REQUIRE_TOOLS=1 go test -count=1 -timeout 30m ./...
	$(MAKE) fuzz

## ci-tools: rsync, shellcheck, python3, gitlab-ci-local 4.64.1 (npm ci into node_modules), actionlint
## and act (a GitHub-compatible runner) for test/ci, cached
ci-tools:
	bash scripts/ci-tools.sh

## test-short: unit tests only (no Packer, Terraform or QEMU runs)
test-short:
	go test -short ./...

## fuzz: each fuzz target for FUZZTIME; minimizing a new input is capped at 2 s, since a long
## minimization still running at the deadline fails the run ("context deadline exceeded")
fuzz:
	go test -run '^$$' -fuzz '^FuzzOutput$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/packer
	go test -run '^$$' -fuzz '^FuzzSplitArtifactID$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/packer
	go test -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/record
	go test -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/config
	go test -run '^$$' -fuzz '^FuzzParseFacts$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 2s ./internal/checks

## lint: gofmt and go vet
lint:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	go vet ./...

## chaos: KILN_CHAOS_RUNS (60) cancels of kiln steps at random moments with SIGINT, SIGTERM,
## SIGKILL and a process-group SIGKILL, checking what each left, and KILN_CHAOS_QEMU (10) of
## kiln-bake on examples/local's qemu builder; prints tables (make test runs 6, no QEMU)
KILN_CHAOS_RUNS ?= 60
KILN_CHAOS_QEMU ?= 10
chaos: tools
	KILN_CHAOS_RUNS=$(KILN_CHAOS_RUNS) KILN_CHAOS_QEMU=$(KILN_CHAOS_QEMU) KILN_REQUIRE_TOOLS=1 \
	  go test -count=1 -v -timeout 150m -run 'TestChaos' ./test/chaos

## bench: kiln-bake against packer build and kiln-deploy-dev against the same Terraform commands by
## hand, alternating in one run, on the fast fixture: each time and their ratio
bench: tools
	go test -run '^$$' -bench Overhead -benchtime 20x ./test/integration

## demo: the main job: the whole pipeline on the local QEMU example (installs what it needs)
demo: build demo-tools
	bash scripts/demo.sh

## demo-clean: stop every VM of the demo and remove its overlays
demo-clean:
	bash scripts/demo-clean.sh

## bench-local: kiln's overhead against raw packer/terraform on the local QEMU example
bench-local: build tools
	bash scripts/bench-local.sh 3

## bench-rollout: blue-green and canary promotions on a real HAProxy (test/integration's
## bluegreen fixture) under 50 requests/s of vegeta load, each step and drain held 15 s:
## a table of requests, failed requests and p50/p99 latency per scenario (nothing asserted
## on time)
.PHONY: bench-rollout
bench-rollout: tools
	bash scripts/ci-tools.sh haproxy
	KILN_ROLLOUT_BENCH=1 KILN_REQUIRE_TOOLS=1 go test -count=1 -v -timeout 30m -run '^TestStrategies$$' ./test/integration

## chaos-rollout: 50 blue-green promotions cut short by SIGTERM at a random moment under
## load, each finished by a second run: no client request may fail (make test runs 3)
.PHONY: chaos-rollout
chaos-rollout: tools
	bash scripts/ci-tools.sh haproxy
	KILN_ROLLOUT_CANCELS=50 KILN_REQUIRE_TOOLS=1 go test -count=1 -v -timeout 60m -run '^TestStrategyCancels$$' ./test/integration

## bench-rollout-local: the same on the local QEMU example: two pipeline runs on a copy of
## examples/local (the second promotes blue-green under 20 requests/s), then kiln-rollback
## under load; a table of what the clients saw (about 8 minutes under TCG)
.PHONY: bench-rollout-local
bench-rollout-local: build demo-tools
	bash scripts/bench-rollout-local.sh

clean:
	rm -rf $(BIN)
