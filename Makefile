# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data

.PHONY: demo test lint bench install browser postgres js-test clean axe screenshots dist sdk-pack sdk-types

# Re-install whenever the project's dependencies change.
$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

install: $(BIN)/.installed

# Debian's Chromium drives the Playwright suite (Playwright's own browser download does not work here).
# Node runs the browser code's unit tests (node --test) and tsc (fetched by npx) in `make lint`.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
	@command -v node >/dev/null 2>&1 && command -v npx >/dev/null 2>&1 || { \
	  echo "installing Debian's nodejs and npm"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }

# Debian's PostgreSQL: the tests start their own throw-away server from its binaries (initdb,
# pg_ctl), as an unprivileged user on a free port; nothing needs to be running.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
	  echo "installing Debian's postgresql"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

# axe-core, which the Playwright suite injects into the planner for its accessibility checks.
AXE := playwright/node_modules/axe-core/axe.min.js
$(AXE): playwright/package.json playwright/package-lock.json | browser
	npm ci --prefix playwright --no-audit --no-fund --silent
	touch $@

axe: $(AXE)

demo: install
	$(BIN)/planner-bridge demo --data-dir $(DATA)

lint: install browser
	$(BIN)/ruff check server tests playwright examples
	$(BIN)/ruff format --check server tests playwright examples
	$(BIN)/mypy
	npx --yes --package typescript@5 tsc -p web

js-test: browser
	node --test web/tests/

# pytest exits 5 when it collected no test: that proves nothing, so it fails loudly too.
# The example shop is its own project (examples/shop/pytest.ini): a run of its own, as an
# integrator would run it, with only planner_bridge.testing.
test: install browser postgres lint js-test axe
	@$(BIN)/pytest -p no:cacheprovider; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	  [ $$status -eq 0 ] || exit $$status; \
	  $(BIN)/pytest -p no:cacheprovider examples/shop; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make test: examples/shop collected no tests" >&2; fi; \
	  exit $$status

# The README's screenshots: the Playwright tests that take them, writing into docs/ this time.
screenshots: install browser axe
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest -p no:cacheprovider -k screenshot playwright

# The products: the wheel and sdist (dist/), and the SDK's npm tarball (web/sdk/*.tgz).
dist: install
	$(BIN)/python -m build --outdir dist

sdk-pack: browser
	cd web/sdk && npm pack

# protocol.d.ts is generated from protocol.js's JSDoc; run this after changing protocol.js
# (tests/test_npm_package.py fails while the two disagree).
sdk-types: browser
	rm -rf .sdk-types && mkdir .sdk-types
	npx --yes --package typescript@5 tsc --allowJs --declaration --emitDeclarationOnly --strict \
	  --target es2022 --module es2022 --outDir .sdk-types web/sdk/protocol.js
	head -n 3 web/sdk/protocol.d.ts > .sdk-types/header
	cat .sdk-types/header .sdk-types/protocol.d.ts > web/sdk/protocol.d.ts
	rm -rf .sdk-types

bench: install browser
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache playwright/node_modules dist web/sdk/*.tgz
