# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data

.PHONY: demo test lint bench bench-tools install browser postgres js-test clean axe interop screenshots dist sdk-pack sdk-types soak mutate three

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

# oauth4webapi and dpop, the npm DPoP clients of tests/test_dpop_interop.py.
INTEROP := tests/interop/node_modules/.package-lock.json
$(INTEROP): tests/interop/package.json tests/interop/package-lock.json | browser
	npm ci --prefix tests/interop --no-audit --no-fund --silent
	touch $@

interop: $(INTEROP)

# The planner's 3D view uses a part of three.js (npm), bundled into one committed, minified file
# that the wheel ships (web/vendor/three/three-planner.js): no CDN, and no npm at install time.
# Run after changing web/vendor/three/entry.mjs or THREE_VERSION.
THREE_VERSION ?= 0.187.0
three: | browser
	npm install --prefix build/three --no-audit --no-fund --silent three@$(THREE_VERSION) esbuild@0.25
	NODE_PATH=build/three/node_modules build/three/node_modules/.bin/esbuild \
	  web/vendor/three/entry.mjs --bundle --format=esm --minify --legal-comments=inline \
	  --target=es2022 --log-level=warning --outfile=web/vendor/three/three-planner.js

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
test: install browser postgres lint js-test axe interop
	@$(BIN)/pytest -p no:cacheprovider; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	  [ $$status -eq 0 ] || exit $$status; \
	  $(BIN)/pytest -p no:cacheprovider examples/shop; status=$$?; \
	  if [ $$status -eq 5 ]; then echo "make test: examples/shop collected no tests" >&2; fi; \
	  exit $$status

# The soak (playwright/soak.py): a scripted shopper in Chromium with 8 s tokens for SOAK_SECONDS
# (default 600, ~75 expiries); prints one line and fails if a call was lost, applied twice or timed
# out waiting for a token. `make test` runs the same test for 60 s.
SOAK_SECONDS ?= 600
soak: install browser
	SOAK_SECONDS=$(SOAK_SECONDS) $(BIN)/pytest -p no:cacheprovider -s playwright/test_soak.py

# Mutation testing, not part of `make test` (slow: tens of minutes on two cores). mutmut breaks the
# Python security modules one change at a time, each module against the tests that cover it
# (tests/mutation.py; staging copies in build/mutate/); Stryker does the same for the host SDK and
# the planner's host link and token keeper against `node --test web/tests/`
# (web/tests/stryker.config.json; Stryker 9, which runs on Debian's Node 20, installed into
# build/stryker). Each prints the share of mutants killed per module; aim: >= 95 %.
# Scores (every mutant, no sample; tests/mutation.py tests each survivor again and redraws
# mutmut's test map on every run), on the modules' homes since the redesign (issue 15), measured
# 6-7 Dec 2026: clients.signatures 99 %, clients.signature_fields 98 %, planner.idempotency 99 %,
# tokens.api_tokens 365/381 (96 %), tokens.verification 288/292 (99 %), planner.assets 97 %,
# tokens.client_credentials 305/318 (96 %, after DPoP). No `pragma: no mutate`, no Stryker
# disable comment. The api_tokens survivors since issue 18 are mostly the revocation's `way` and
# `actor` labels, which only name a log line.
# Survivors judged harmless, each read, all equivalent:
#   - clients.signatures: `_datetime` with the time zone None or left out (the library reads only
#     .timestamp(), the same epoch second); hmac.digest's "SHA256" (OpenSSL's names ignore case);
#   - clients.signature_fields: parse_signature's `or "XXXX"` for a missing field (no pattern
#     matches it, as none matches "");
#   - planner.idempotency.claim_or_wait's deadline `>=` -> `>` (one tick of the event loop's clock);
#   - tokens.verification: the cache's default size 10_000 -> 10_001 (tuning); popitem(last=None)
#     (falsy like False: still the oldest evicted); the generation a verifier without
#     revocations stores (0 or 1, never read); _bound_key's error text;
#   - tokens.client_credentials.basic_credentials: partition -> rpartition (no key id or secret we
#     issue holds a colon); `not colon or not client_id` -> `and`, and the fast path's "+" test
#     (such pairs fail authentication either way); parse_form's `content_type or ""` -> "XXXX" (not
#     the form type either way); authenticate's length cap `or` -> `and` and `>` -> `>=` (no id or
#     secret we issue is 256 long: an overlong or 256-character one never matches: the secret is
#     derived from the truncated id, the key is looked up by the full one); _render's json.dumps
#     with ensure_ascii True or left out (every member but the token, which goes in as it is, is
#     ASCII: "Bearer", a number, the rights' names);
#   - planner.assets: parse_after's first-page cursor "" -> "XXXX" (ids sort after both);
#     AssetCatalog's initial _last_ms/_sequence (overwritten by the first new_id); _document's
#     ensure_ascii=None (falsy); get's id-shape check `or True` (a malformed id is absent anyway);
#     list's owners (None, None) for entity tokens (equivalent on SQLite; PostgreSQL not run by
#     these tests) and limit + 2 (one more row fetched); change's creating=None (falsy); delete's
#     answer(None) (a delete's answer is the 204, which reads no asset);
#   - Stryker (full run 7 Dec 2026 on the sdk-mutants branch, tap runner with perTest coverage,
#     1891 mutants, every survivor read): host-bridge.js 194/195 (99.5 %), planner-bridge.js
#     210/217 (96.8 %), protocol.js 446/449 (99.3 %), load-check.js 68/70 (97.1 %),
#     planner-key.js 17/17, host-link.js 166/166, resize.js 21/22 (95.5 %), token-flights.js
#     88/90 (97.8 %), token-keeper.js 195/196 (99.5 %), token-wait.js 35/36, held-token.js 32/33;
#     command-channel.js, embed-options.js, session-channel.js, token-fetch.js, call-identity.js,
#     call-order.js 100 %. Six count through Stryker's timeout (a timer or channel left open
#     keeps node running); one RuntimeError (host-bridge.js) is not counted. The 19 survivors,
#     all equivalent but one (the last):
#     HeldToken's #timers starting with a non-handle (clearTimeout ignores it); the keeper's
#     #route `#wait.size === 0` (a call waits only while no token is usable: accept() sends every
#     waiting call at once, and time only ends a token); TokenWait.add's `>` vs `>=` (call seqs
#     are unique); the SDK's initial #afterReady (the planner's first message is always Ready,
#     which sets it); prefetch()'s needsFull and quietIfSame (its token is posted only after the
#     planner spoke, and the Ready or AuthenticationRequired that made it speak joined the fetch,
#     setting both); LoadWatch.frameLoaded's `if (!this.loading)` dropped (the timer it sets
#     checks `loading` itself, and embedPlanner starts the watch before the iframe can load);
#     #diagnose's catch giving undefined for null (both falsy: the fallback cause); frameOf's
#     container check, four mutants and its `container?.` (embedPlanner checks the same first)
#     and embedPlanner's own `typeof appendChild` made true (frameOf's check then refuses it):
#     one check hides the other's mutants; resize.js's `pending` starting true (send() clears it
#     before any observer can call back: a ResizeObserver reports asynchronously); isLength's
#     and isAmount's `typeof value === "number"` made true or `||` (Number.isFinite is false for
#     anything but a number, and NaN and Infinity fail the bounds after it). Not equivalent,
#     judged harmless: setLocale's `options?.currency` as `options.currency` differs only for
#     setLocale(locale, null), which the typings do not allow (a rejected TypeError then).
STRYKER := build/stryker/node_modules/.bin/stryker
mutate: install browser
	$(BIN)/pip install --quiet -e '.[test,mutate]'
	$(BIN)/python tests/mutation.py
	@test -d build/stryker/node_modules/@stryker-mutator/tap-runner || npm install \
	  --prefix build/stryker --no-save --no-audit --no-fund --silent @stryker-mutator/core@9 \
	  @stryker-mutator/tap-runner@9
	$(STRYKER) run web/tests/stryker.config.json

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

# bench_peer drives the servers with wrk (Debian's); without it, with a client of its own.
bench-tools:
	@command -v wrk >/dev/null 2>&1 || { \
	  echo "installing Debian's wrk"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
	  || echo "no wrk: bench_peer uses its own load generator"; }

bench: install browser bench-tools
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache playwright/node_modules tests/interop/node_modules dist web/sdk/*.tgz
