# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
DATA   ?= data

.PHONY: demo test lint bench install browser postgres js-test clean axe screenshots dist sdk-pack sdk-types soak mutate

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
# build/stryker). Each prints the share of mutants killed per module; aim: >= 90 %.
# Survivors judged harmless (first run, 30 Nov 2026, one mutant in five with MUTATE_SAMPLE='*[05]';
# every survivor of that run examined again on the mutants branch):
#   - error descriptions and messages (the words, never the code or status): clients act on codes
#     (signatures' window and "does not verify" words are pinned since: integrators debug by them);
#   - boundaries of one tick and cache tuning: idempotency's in-flight wait `>=`, verification's
#     MAX_TOKEN_LENGTH `>=`, the verified-token cache's size, eviction order, a miss that only
#     re-verifies in full, a stale entry left until evicted (_still_valid is checked on each hit);
#   - equivalent code: idempotency.fingerprint's JSON separators and encode() arguments (json.dumps
#     is ASCII and both sides use the same function), ids' random length, sign_request's nonce
#     size, `_datetime`'s tz (UTC machines), Basic's partition/rpartition (ids have no colon) and
#     b64decode validate= (the secret must still match), PyJWT's verify_nbf key (we check nbf),
#     verify_api_token's access_token=None (falsy like False), assets' first page cursor "" vs
#     "XXXX" (ids sort after it), the id sequence starting at 0 or 1; signatures.verify's
#     max_age=None (our _Verifier overrides the library's time checks, so it reads no max_age);
#     grants.authenticate's length cap `or` -> `and` (an overlong id or secret that passes it
#     still fails: the secret is derived from the truncated id, the key is looked up by the full
#     one); ApiTokens.set_disabled's second get() without the entity (the first one checked it);
#   - signatures' _HeaderPairs.__contains__/__getitem__ (rerun 30 Nov: "no tests"): the library's
#     verifier reads items() only, so both are never called (checked by making them raise): dead
#     code, left to the module's owner to drop;
#   - signatures' "needs a created parameter", "expires must be an integer" (the library refuses
#     both before us) and "revoked meanwhile" challenges: the revocation race is not reachable
#     from a test;
#   - Stryker (full rerun 30 Nov 2026 on the mutjs branch, tap runner with perTest coverage, every
#     survivor read): host-link.js 81/81 (100 %), session-channel.js 31/31 (100 %), protocol.js
#     169/169 (100 %), planner-bridge.js 335/338 (99.1 %), token-keeper.js 279/282 (98.9 %).
#     Five count through Stryker's timeout: the keeper's and the SDK's default clearTimer
#     emptied, the SDK's Promise.race list or its finally emptied, SessionChannel.close()
#     emptied (a timer or channel left open keeps node running). The six survivors, all
#     equivalent: the keeper's #timers starting with a non-handle (clearTimeout ignores it);
#     #route's `#waiting.length === 0` (a call waits only while no token is usable: accept()
#     sends every waiting call at once, and time only ends a token); #enqueue's `>` vs `>=`
#     (call seqs are unique); the SDK's initial #afterReady (the planner's first message is
#     always Ready, which sets it); prefetch()'s needsFull and quietIfSame (its token is posted
#     only after the planner spoke, and the Ready or AuthenticationRequired that made it speak
#     joined the fetch, setting both).
# Covered since: the hardening branch's api_tokens.exchange keeping "write" for an entity without
# --allow-write (tests/test_api_tokens.py) and the host link's registered-origins check
# (web/tests/host-link.test.mjs); the mutants branch's API token refused at its expiry exactly
# (test_api_tokens), the window refusals' descriptions (test_signatures), AuthenticationFailed
# for a refused shop token (host-link), login()/logout() refusing the wrong kind of answer
# (planner-bridge), a 401 after a user switch never replayed under the new user, a 5xx confirming
# nothing, a replay ahead of later calls, an old token's late 401 leaving the new one alone,
# 'identity' on a switch only, a wake with a usable token asking nothing (token-keeper), each
# protocol guard on its own and at its limits (protocol).
# Rerun of signatures alone (30 Nov, MUTATE_SAMPLE='*[05]'): 30/40 killed (75 %); its 7 survivors
# are all listed above, 3 more are "no tests": the two dead methods, and call_components, whose
# tests (test_signed_assets, which kills it by hand) tests/mutation.py now runs for signatures.
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

bench: install browser
	$(BIN)/python -m tests.benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache playwright/node_modules dist web/sdk/*.tgz
