"""`make bench`: every `bench_*.py` module here exposes `run() -> list[str]`; see `__main__`."""
