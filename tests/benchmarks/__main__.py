"""Run every benchmark module (`bench_*.py`) in this package and print what each reports.

`python -m tests.benchmarks [NAME ...]` runs all of them, or only those whose name contains
one of the given words. Benchmarks measure; they never assert on timings.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time


def bench_modules(words: list[str]) -> list[str]:
    package = importlib.import_module(__package__ or "tests.benchmarks")
    found = pkgutil.iter_modules(package.__path__)
    names = sorted(m.name for m in found if m.name.startswith("bench_"))
    return [n for n in names if not words or any(w in n for w in words)]


def main(words: list[str]) -> int:
    failed = 0
    for name in bench_modules(words):
        started = time.perf_counter()
        print(f"== {name}", flush=True)
        try:
            module = importlib.import_module(f"{__package__}.{name}")
            for line in module.run():
                print(line, flush=True)
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            failed += 1
            print(f"   failed: {type(exc).__name__}: {exc}", flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
