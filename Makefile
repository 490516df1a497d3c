# uk: top-level build.
#   make             build the runtime for every target, the uk tool and the examples
#   make test        run every test; ends with "N passed, N failed, N skipped"
#   make bench       run the benchmarks (ratios measured in one run)
#   make soak        the long runs: 100 power cuts of /data (make test runs 5), 30 power cuts
#                    of an A/B update (make test runs 6)
#   make fuzz        run every libFuzzer harness of tests/fuzz for FUZZ_RUNS inputs (default 10
#                    million each), or FUZZ_TIME seconds each when that is set
#   make install     install into PREFIX (default /usr/local)
PREFIX ?= /usr/local
UK_CACHE ?= /var/cache/uk
BUILD ?= $(CURDIR)/build
TARGETS := virt rpi3 rpi4
export PREFIX UK_CACHE BUILD

.PHONY: all runtime cli examples test bench soak fuzz install clean format

all: runtime cli examples

runtime:
	$(MAKE) -C runtime

cli:
	$(MAKE) -C cli

examples: runtime
	$(MAKE) -C examples

test: all
	$(MAKE) -C tests
	tests/run

bench: all
	bench/run

soak: all
	$(MAKE) -C tests
	UK_POWER_CUTS=100 UK_UPDATE_CUTS=30 tests/run tests/data.bats tests/update.bats

fuzz: all
	$(MAKE) -C tests/fuzz run
	$(MAKE) -C tests
	UK_TLS_GARBAGE=1000 tests/run tests/tls.bats

install: all
	$(MAKE) -C runtime install
	$(MAKE) -C cli install

format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean:
	rm -rf $(BUILD)
