# Lookalike: the README names `make run` and `make test`; everything else hangs off these.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
APT_STAMP := $(VENV)/.apt-installed
# Pin torch to the CPU wheel this machine carries: an unpinned torch pulls a multi-GB CUDA build.
TORCH := torch==2.13.0
SYSTEM_PACKAGES := xvfb xauth libgl1 libegl1 libfontconfig1 libxkbcommon0 libxkbcommon-x11-0 \
	libdbus-1-3 libnss3 libasound2 libgbm1 libxcomposite1 libxdamage1 libxrandr2 libxtst6 \
	libxkbfile1 libglib2.0-0 libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxcb-image0 \
	libxcb-render-util0 libxcb-shape0 libxcb-xinerama0 libxcb-randr0 libxcb-xkb1 fonts-dejavu-core

.PHONY: setup system run test lint typecheck layers pytest bench screenshots model clean devtree

setup: $(STAMP)

# System libraries Qt/QtWebEngine need on a bare Debian (skipped when not root or not Debian).
system: $(APT_STAMP)
$(APT_STAMP):
	@mkdir -p $(VENV)
	@if command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		missing=$$(for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
		if [ -n "$$missing" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
		fi; \
	else echo "note: not root or no apt-get; install Qt's system libraries yourself (see README)"; fi
	@touch $@

$(STAMP): pyproject.toml $(APT_STAMP)
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH)
	$(BIN)/pip install -q -e '.[train,test,cluster]'
	@rm -f $(VENV)/.installed-*; touch $@

# Start the app on the bundled samples with the bundled model (a virtual screen if none).
run: setup
	@if [ -z "$$DISPLAY$$WAYLAND_DISPLAY" ]; then \
		echo "no screen: starting under Xvfb (xvfb-run)"; xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/lookalike gui; \
	else $(BIN)/lookalike gui; fi

lint: setup
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

# mypy and import-linter read packages from folders, not through setuptools' package-dir mapping:
# they check a throw-away tree of links, build/devtree/lookalike/{engine,gui,train,...} -> the real
# folders, made anew each run (the repository itself holds no links, so any clone works).
DEVTREE := build/devtree
devtree:
	@rm -rf $(DEVTREE) && mkdir -p $(DEVTREE)/lookalike
	@for f in lookalike/*; do ln -s "$(CURDIR)/$$f" $(DEVTREE)/lookalike/; done
	@for d in engine gui train assets; do ln -s "$(CURDIR)/$$d" $(DEVTREE)/lookalike/$$d; done

typecheck: setup devtree
	$(BIN)/mypy

layers: setup devtree
	cd $(DEVTREE) && $(CURDIR)/$(BIN)/lint-imports --config $(CURDIR)/pyproject.toml

pytest: setup
	QT_QPA_PLATFORM=offscreen $(BIN)/pytest -q -p no:cacheprovider

test: lint typecheck layers pytest

bench: setup
	$(BIN)/python -m bench.run_all

screenshots: setup
	xvfb-run -a -s "-screen 0 1600x1000x24" $(BIN)/python -m bench.app.screenshots

# Retrain the bundled default model (see assets/MODEL.md).
model: setup
	$(BIN)/python -m lookalike.train.default_model

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info
