# sluice — the two commands a newcomer needs:
#   make demo   build the binary and run the quickstart sync (faker → local files)
#   make test   build everything and run every test (unit + end-to-end)
# Both install what they need first (scripts/setup.sh, idempotent): `make demo` only what the
# binary's build needs; `make build` and `make test` also the test tools, browser and npm packages.

BUILD       ?= build
ASAN_BUILD  ?= build-asan
JOBS        ?= $(shell nproc)
CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
# `make demo` builds in its own folder (so `make test`'s build is left as it is) the same -O2 code
# without debug info, as a unity build (UNITY_BATCH files of a library per compiler run), with
# precompiled headers when no ccache is installed, and mold (or lld) when installed; no tests.
DEMO_BUILD  ?= build-demo
UNITY_BATCH ?= 16
DEMO_CMAKE_FLAGS ?= -G Ninja -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O2 -DNDEBUG" \
                    -DCMAKE_UNITY_BUILD=ON -DCMAKE_UNITY_BUILD_BATCH_SIZE=$(UNITY_BATCH) \
                    -DSLUICE_FAST_LINKER=ON -DSLUICE_TESTS=OFF

.PHONY: all setup setup-build configure build demo test test-unit test-e2e test-asan fuzz torture bench deb clean

all: build

setup:
	@bash scripts/setup.sh

setup-build:
	@bash scripts/setup.sh build

# Configured on every build: cheap, and picks up what setup installed since (GoogleTest after a
# `make demo`, which configures without the tests when GoogleTest is absent).
configure:
	cmake -S . -B $(BUILD) $(CMAKE_FLAGS)

build: setup
	@$(MAKE) --no-print-directory configure
	cmake --build $(BUILD) -j $(JOBS)

# Only the `sluice` target, in $(DEMO_BUILD): no tests, no web UI, no test tools installed.
demo: setup-build
	cmake -S . -B $(DEMO_BUILD) $(DEMO_CMAKE_FLAGS)
	cmake --build $(DEMO_BUILD) -j $(JOBS) --target sluice
	@bash scripts/demo.sh $(DEMO_BUILD)/sluice

# Every test, unit and end-to-end, through CTest (one closing summary line).
test: build
	cd $(BUILD) && ctest --output-on-failure --timeout 900 -j $(JOBS)

test-unit: build
	cd $(BUILD) && ctest --output-on-failure -E '^e2e\.' -j $(JOBS)

test-e2e: build
	cd $(BUILD) && ctest --output-on-failure -R '^e2e\.' -j $(JOBS)

# The unit tests under AddressSanitizer + UndefinedBehaviorSanitizer.
test-asan: setup
	cmake -S . -B $(ASAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DSLUICE_SANITIZE=ON
	cmake --build $(ASAN_BUILD) -j $(JOBS)
	cd $(ASAN_BUILD) && ASAN_OPTIONS=detect_leaks=1 ctest --output-on-failure -E '^e2e\.' -j $(JOBS)

# The long form of fuzzing: every parser target under libFuzzer (clang-14, ASan + UBSan) for
# FUZZ_SECONDS each; `make test` runs the same targets briefly (CTests fuzz.*, seeded).
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
fuzz: setup
	@bash tests/fuzz/run.sh $(FUZZ_BUILD) $(FUZZ_SECONDS)

# The Debian package (deploy/CMakeLists.txt): the binary, the web UI when npm is there, the systemd
# unit and /etc/default/sluice, into $(BUILD)/sluice_<version>_<arch>.deb.
deb: setup-build
	@$(MAKE) --no-print-directory configure
	cmake --build $(BUILD) -j $(JOBS) --target sluice $(if $(shell command -v npm),sluice_web)
	cd $(BUILD) && cpack -G DEB

# The long forms of the reliability tests (README "Reliability"): network faults through
# tests/e2e/fault_proxy.py with TORTURE_SEEDS seeds per case, more faults per run, mixed faults on
# both PostgreSQL connections and stalls past the HTTP stall timeout; then the authorization
# matrix and the injection tests; then the crash loops (tests/e2e/crash_loop.py) with
# TORTURE_KILLS SIGKILLs per configuration (seed TORTURE_CRASH_SEED), their lines collected in
# $(BUILD)/crash_loops.txt; then the API under load (bench/api_load_bench.py: 500 req/s of mixed
# reads and writes for 60 s while syncs run, the server restarted with SIGTERM and SIGKILL).
# `make test` runs one seed of each, 3 kills per configuration and 150 req/s for 10 s.
TORTURE_SEEDS ?= 10
TORTURE_KILLS ?= 100
TORTURE_CRASH_SEED ?= 1
torture: build
	cd tests/e2e && SLUICE_BIN=$(abspath $(BUILD))/sluice SLUICE_TORTURE=1 SLUICE_TORTURE_SEEDS=$(TORTURE_SEEDS) \
		/usr/bin/python3 -m pytest -q -s -p no:cacheprovider test_network_faults.py test_authz_matrix.py test_injection.py
	rm -f $(abspath $(BUILD))/crash_loops.txt
	cd tests/e2e && SLUICE_BIN=$(abspath $(BUILD))/sluice SLUICE_TORTURE=1 SLUICE_TORTURE_KILLS=$(TORTURE_KILLS) \
		SLUICE_CRASH_SEED=$(TORTURE_CRASH_SEED) SLUICE_CRASH_REPORT=$(abspath $(BUILD))/crash_loops.txt \
		/usr/bin/python3 -m pytest -q -s -p no:cacheprovider test_crash_loops.py test_disk_full.py
	@cat $(abspath $(BUILD))/crash_loops.txt
	/usr/bin/python3 bench/api_load_bench.py $(BUILD)/sluice

# End-to-end benchmarks against reference tools (not part of `make test`).
bench: build
	@bash bench/run.sh $(BUILD)/sluice
	@bash bench/postgres_bench.sh $(BUILD)/sluice
	@bash bench/external_pipe_bench.sh $(BUILD)/sluice
	@bash bench/dedup_bench.sh $(BUILD)/sluice
	@bash bench/normalization_bench.sh $(BUILD)/sluice
	@bash bench/cdc_bench.sh $(BUILD)/sluice
	@bash bench/mysql_bench.sh $(BUILD)/sluice
	@bash bench/parquet_bench.sh $(BUILD)/sluice
	@bash bench/s3_bench.sh $(BUILD)/sluice
	@bash bench/rest_bench.sh $(BUILD)/sluice
	@python3 bench/server_bench.py $(BUILD)/sluice

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD) $(DEMO_BUILD)
