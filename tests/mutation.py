"""`make mutate`, Python half: mutmut over the security modules, each against its own tests.

Not a test module (pytest collects only test_*.py): a tool that breaks one line at a time and
counts how many of those breakages a test notices. Each module runs in a staging copy of its own
under build/mutate/<module>/ because mutmut 3 (a) reads its settings from the pyproject.toml in
the directory it runs in, so one copy per module gives each its own test selection, which keeps
the runs bounded, and (b) only puts mutants/., mutants/src or mutants/source first on sys.path,
so the package is staged as src/planner_bridge. mutmut then works on the copy's mutants/ and the
real tree is never touched.

Usage: python tests/mutation.py [module ...]  (default: all of MODULES); MUTATE_CHILDREN (2),
MUTATE_SAMPLE (see main). Prints, per module, the share of the mutants tested that were killed,
and the survivors; exits 0 whatever the score (the target reports, it does not gate).
"""

from __future__ import annotations

import collections
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / "build" / "mutate"
# Each module (dotted, under planner_bridge) with the test files that exercise it (mutmut runs,
# per mutant, only the tests among these that reached the mutated function).
MODULES: dict[str, list[str]] = {
    "tokens.verification": [
        "tests/test_token_verifier.py",
        "tests/test_forged_tokens.py",
        "tests/test_jwks.py",
        "tests/test_api_tokens.py",
        "tests/test_low_s.py",  # high-S copies refused (hardening)
        "tests/test_revocations_set.py",  # revocations checked on every verification (issue 18)
        "tests/test_dpop_tokens.py",  # cnf.jkt read from bound tokens (issue 20)
    ],
    # test_signed_assets: signed web-service calls (call_components' "@query").
    "clients.signatures": [
        "tests/test_signatures.py",
        "tests/test_rate_limit.py",
        "tests/test_signed_assets.py",
        "tests/test_signature_fields.py",  # our verifier against the library's
    ],
    # The Signature-Input/Signature/Content-Digest parser under signatures' verifier.
    "clients.signature_fields": ["tests/test_signature_fields.py", "tests/test_signatures.py"],
    # test_rate_limit: the brakes per client address on the grant paths (hardening).
    # test_metrics: the kind and grant of each token the answer names (TokenAnswer.kind), since
    # the grant returns them for the endpoint's counter rather than counting itself.
    "tokens.client_credentials": [
        "tests/test_token_service.py",
        "tests/test_client_credentials.py",
        "tests/test_rate_limit.py",
        "tests/test_metrics.py",
        "tests/test_dpop_tokens.py",  # a DPoP proof binds the token it grants (issue 20)
    ],
    # test_idempotency: the answer kept with each write; test_live: what each write announces.
    "planner.assets": [
        "tests/test_asset_rights.py",
        "tests/test_assets.py",
        "tests/test_idempotency.py",
        "tests/test_live.py",
    ],
    "planner.idempotency": ["tests/test_idempotency.py"],
    # test_audit_cli: every mistake at once; test_revocation: disabling revokes what it made.
    "tokens.api_tokens": [
        "tests/test_api_tokens.py",
        "tests/test_audit_cli.py",
        "tests/test_revocation.py",
        "tests/test_dpop_tokens.py",
    ],
}
# Exit statuses mutmut reports that mean a test noticed the mutant.
KILLED = {"killed", "timeout", "caught by type check"}
# mutmut's exit codes for "survived" and "no tests": verdicts tested again on every run.
NOT_KILLED_CODES = {0, 5, 33}


def source_path(module: str) -> str:
    """A module's file under the package: "planner.assets" -> "planner/assets.py"."""
    return module.replace(".", "/") + ".py"


def mutmut_settings(module: str, tests: list[str]) -> str:
    def toml_list(items: list[str]) -> str:
        return "[" + ", ".join(f'"{item}"' for item in items) + "]"

    return (
        "\n[tool.mutmut]\n"
        'source_paths = ["src/planner_bridge"]\n'
        f'only_mutate = ["src/planner_bridge/{source_path(module)}"]\n'
        f"pytest_add_cli_args_test_selection = {toml_list(tests)}\n"
        # A mutant that breaks a test half-way may leave a socket open; that warning is noise.
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-W", "ignore::ResourceWarning",'
        ' "-W", "ignore::pytest.PytestUnraisableExceptionWarning"]\n'
        'also_copy = ["web/", "docs/"]\n'
        "use_git_change_detection = false\n"
    )


def stage(module: str, tests: list[str]) -> Path:
    """A copy of what mutmut needs: the package as src/, the tests, web/ (the planner site's
    files, found next to the package), docs/, and pyproject.toml with this module's
    settings."""
    where = STAGE / module
    # Copied over any earlier copy with the files' times kept: mutmut then keeps its results for
    # the functions that did not change, so an interrupted run resumes.
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "node_modules")
    for source, target in (("server/planner_bridge", "src/planner_bridge"), ("tests", "tests")):
        shutil.copytree(ROOT / source, where / target, ignore=ignore, dirs_exist_ok=True)
    shutil.copytree(ROOT / "web", where / "web", ignore=ignore, dirs_exist_ok=True)
    # A test runs docs/integration.md's example.
    shutil.copytree(ROOT / "docs", where / "docs", dirs_exist_ok=True)
    pyproject = (ROOT / "pyproject.toml").read_text()
    (where / "pyproject.toml").write_text(pyproject + mutmut_settings(module, tests))
    return where


def mutmut(where: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(Path(sys.executable).with_name("mutmut")), *args]
    return subprocess.run(command, cwd=where, text=True, capture_output=True, check=False)


def score(where: Path) -> collections.Counter[str]:
    """How many mutants ended in each status, from `mutmut results --all true`."""
    listed = mutmut(where, "results", "--all", "true").stdout
    return collections.Counter(
        line.rsplit(": ", 1)[1].strip() for line in listed.splitlines() if ": " in line
    )


def retest_survivors(where: Path, module: str) -> None:
    """mutmut keeps every verdict while the mutated function is unchanged, even when tests were
    added since; a survivor (or a mutant no test reached) is therefore forgotten here and tested
    again. A killed mutant stays killed: tests are only ever added or made stricter. mutmut's
    map of which tests reach which function is dropped too (it would miss a function added
    since, or an old test that reaches a function it did not before), so it is drawn again."""
    (where / "mutants" / "mutmut-stats.json").unlink(missing_ok=True)
    meta = where / "mutants" / "src" / "planner_bridge" / f"{source_path(module)}.meta"
    if not meta.exists():
        return
    data = json.loads(meta.read_text())
    verdicts = data["exit_code_by_key"]
    for name, code in verdicts.items():
        if code in NOT_KILLED_CODES:
            verdicts[name] = None
    meta.write_text(json.dumps(data, indent=4))


def run(module: str, tests: list[str], children: str, sample: str) -> tuple[int, int, list[str]]:
    where = stage(module, tests)
    retest_survivors(where, module)
    names = [f"planner_bridge.{module}.*__mutmut_{sample}"] if sample else []
    done = mutmut(where, "run", "--max-children", children, *names)
    (where / "run.log").write_text(done.stdout + done.stderr)
    counts = score(where)
    total = sum(n for status, n in counts.items() if status != "not checked")
    killed = sum(n for status, n in counts.items() if status in KILLED)
    listed = mutmut(where, "results").stdout.splitlines()
    survivors = [line.strip() for line in listed if line.strip().endswith(": survived")]
    if total == 0:
        print(f"{module}: mutmut produced no results; see {where / 'run.log'}", file=sys.stderr)
    return killed, total, survivors


def main(argv: list[str]) -> int:
    chosen = argv or list(MODULES)
    children = os.environ.get("MUTATE_CHILDREN", "2")
    # A subset, when time is short: mutants whose number matches this fnmatch pattern, e.g.
    # "*[05]" for about one in five (mutants already judged by an earlier run count too).
    sample = os.environ.get("MUTATE_SAMPLE", "")
    lines = []
    for module in chosen:
        killed, total, survivors = run(module, MODULES[module], children, sample)
        share = f"{100 * killed / total:.0f} %" if total else "n/a"
        line = f"mutmut {module}.py: {killed}/{total} mutants killed ({share})"
        print(line, flush=True)
        for survivor in survivors:
            print(f"    survived: {survivor}", flush=True)
        lines.append(line)
    print("\n".join(["-- mutmut summary --", *lines]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
