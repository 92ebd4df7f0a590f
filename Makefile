# Two commands for a newcomer: `make demo` and `make test` (both set everything up first).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BUILD  := build
APT_PACKAGES := gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf
SUDO   := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: setup toolchain demo demo-iss test bench clean

setup: toolchain $(VENV)/.installed

toolchain:
	@if ! command -v riscv64-unknown-elf-gcc >/dev/null || [ ! -e /usr/lib/picolibc/riscv64-unknown-elf/picolibc.specs ]; then \
		echo "installing the RISC-V cross compiler: $(APT_PACKAGES)"; \
		$(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $(APT_PACKAGES); \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $@

# The main job: deploy the zoo's small transformer onto ITA + 8 cores, simulate it, show the
# per-layer cycles and the bit-exact check against the golden executor.
demo: setup
	$(BIN)/deploy run tiny

# The simulator on its own: an 8-core int8 GEMM with the run report.
demo-iss: setup
	$(BIN)/iss build firmware/examples/gemm.c -o $(BUILD)/gemm.elf
	$(BIN)/iss run $(BUILD)/gemm.elf

test: setup
	$(BIN)/python -m pytest -q

bench: setup
	$(BIN)/python bench/bench_fast.py
	$(BIN)/python bench/bench_detailed.py
	$(BIN)/python bench/bench_deploy.py --models mobilebert --modes ita

clean:
	rm -rf $(BUILD) .pytest_cache
