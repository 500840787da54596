"""Brute-force brakes: failures counted per subject (a client address, for client authentication).

A fixed number of failures within a sliding window, then 429 with `Retry-After` until the
oldest failure leaves the window. Only failures count, so a well-behaved integrator is never
slowed. Client authentication is braked per client address only: a key id is public, and a
brake on it would let anyone who knows it lock its holder out (SPEC "Under attack"). State is
in memory, per process: enough to make guessing secrets hopeless from one instance; several
instances behind a proxy each keep their own count (documented in docs/operations.md).

A named brake logs one "brake engaged" line when a subject becomes braked, naming its address:
once per subject per window, however many refusals follow (they are not failures: a braked
attempt never starts).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict, deque
from types import TracebackType

from .clock import Clock
from .errors import TooManyRequests
from .logs import event

MAX_TRACKED = 100_000  # bounded memory however many addresses or names an attacker invents


class FailureLimiter:
    def __init__(
        self,
        clock: Clock,
        *,
        max_failures: int = 10,
        window: float = 60.0,
        brake: str | None = None,  # its name in the log; None: a count that never logs
    ) -> None:
        if max_failures < 1 or window <= 0:
            raise ValueError("max_failures must be ≥ 1 and window > 0")
        self.clock = clock
        self.max_failures = max_failures
        self.window = window
        self.brake = brake
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def guarding(self, *subjects: str, counts: type[Exception]) -> Guard:
        """`with limiter.guarding(address, counts=InvalidClient): ...`: the brake is checked
        on entry (TooManyRequests, before the guarded work even starts: a braked subject learns
        nothing more), and a `counts` error raised inside is a failure of these subjects."""
        return Guard(self, subjects, counts)

    def check(self, *subjects: str) -> None:
        """Raise TooManyRequests if any subject (e.g. "addr:…") failed too often."""
        # Called before every client authentication, and nearly always for subjects that never
        # failed: one dict lookup each then (atomic, so no lock) and nothing else. A failure
        # recorded at this very moment by another thread is seen by the next check.
        failures = self._failures
        if not any(subject in failures for subject in subjects):
            return
        now = self.clock.now()
        with self._lock:
            wait = max((self._wait(s, now) for s in subjects), default=0.0)
        if wait > 0:
            raise TooManyRequests(
                "too many failed attempts; try again later", retry_after=math.ceil(wait)
            )

    def record_failure(self, *subjects: str) -> None:
        now = self.clock.now()
        engaged = []
        with self._lock:
            for subject in subjects:
                times = self._failures.pop(subject, None) or deque()
                if self._in_window(times, now) == self.max_failures - 1:
                    engaged.append(subject)  # this failure is the one that brakes it
                times.append(now)
                while len(times) > self.max_failures:
                    times.popleft()
                self._failures[subject] = times  # most recently failed last
            while len(self._failures) > MAX_TRACKED:
                self._failures.popitem(last=False)
        if self.brake is not None:
            for subject in engaged:  # logged outside the lock: a slow log stalls no check
                event("brake engaged", brake=self.brake, address=address_in(subject))

    def recent(self, subject: str) -> int:
        """How many failures of this subject are in the window (at most `max_failures`)."""
        if subject not in self._failures:
            return 0
        now = self.clock.now()
        with self._lock:
            return self._in_window(self._failures.get(subject) or deque(), now)

    def _in_window(self, times: deque[float], now: float) -> int:
        return sum(1 for t in times if t > now - self.window)

    def _wait(self, subject: str, now: float) -> float:
        times = self._failures.get(subject)
        if not times:
            return 0.0
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.max_failures:
            return 0.0
        return times[0] + self.window - now


def address_in(subject: str) -> str:
    """The client address a subject names ("addr:ADDRESS", alone or before "|" and more), and
    nothing else of it: a username beside it is the sender's text, not for the log."""
    _, found, rest = subject.partition("addr:")
    return rest.split("|", 1)[0] if found else "-"


class Guard:
    """One guarded attempt (see `FailureLimiter.guarding`); a plain class, as it is made on
    every request of the hot paths."""

    __slots__ = ("counts", "limiter", "subjects")

    def __init__(
        self, limiter: FailureLimiter, subjects: tuple[str, ...], counts: type[Exception]
    ) -> None:
        self.limiter = limiter
        self.subjects = subjects
        self.counts = counts

    def __enter__(self) -> Guard:
        self.limiter.check(*self.subjects)
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if kind is not None and issubclass(kind, self.counts):
            self.limiter.record_failure(*self.subjects)
