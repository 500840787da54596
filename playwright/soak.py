"""The soak: a scripted shopper adds, renames and deletes assets for a while with short-lived
tokens (many expiries), logging in and out now and then; then what the page made is compared
with what the server applied. `make soak` (SOAK_SECONDS, default 600) and the 60 s run in
`make test` are the same code: playwright/test_soak.py.

What is counted (one line, `Report.line`):
- calls made: the write actions the shopper made (add, rename, delete), each one web-service call
  from the page's point of view (a refused token's replay is the same call);
- completed: those the page showed done; the others showed an error by name;
- lost: a call the page showed done whose effect the server lacks (asset missing, rename not
  applied, deleted asset still there), or one the page never showed an outcome for;
- applied twice: an asset created twice, a rename applied twice (the asset's version is ahead:
  that also counts a rename applied though the page showed it failed), or one Idempotency-Key
  answered 2xx more than once at the server;
- phantom: an effect on the server of a call the page showed failed (must be 0 too);
- TokenRefreshTimeout: calls that failed with it (the keeper's error events and shown errors);
- added wait at expiry: for each action made while the keeper was asking for the next token or
  had none valid, how long it waited for a valid token (0 when the old one still served it).
"""

from __future__ import annotations

import collections
import dataclasses
import random
import statistics
import time
from typing import Any

from bridge_e2e import Bridge
from scripted_user import Outcome, ScriptedUser

USERS = ("alice", "bob")
# Seconds between logging out and in as the other user: rare enough that tokens mostly end by
# expiring (each login brings a fresh one), often enough that a 60 s run switches twice.
SWITCH_EVERY = 25.0
FEW, MANY = 3, 8  # the shopper keeps between FEW and MANY assets of their own


@dataclasses.dataclass
class Owned:
    name: str
    renames: int = 0


@dataclasses.dataclass
class Report:
    seconds: float
    expiries: int
    made: int = 0
    completed: int = 0
    lost: int = 0
    doubled: int = 0
    phantom: int = 0
    refresh_timeouts: int = 0
    waits: list[float] = dataclasses.field(default_factory=list)
    errors: collections.Counter[str] = dataclasses.field(default_factory=collections.Counter)
    problems: list[str] = dataclasses.field(default_factory=list)
    shopper: Shopper | None = None  # what the shopper expects the server to hold

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.phantom or self.refresh_timeouts)

    def line(self) -> str:
        return (
            f"soak {self.seconds:.0f} s, {self.expiries} expiries: calls made {self.made},"
            f" completed {self.completed}, lost {self.lost}, applied twice {self.doubled},"
            f" phantom {self.phantom}, TokenRefreshTimeout {self.refresh_timeouts},"
            f" added wait at expiry p50 {percentile(self.waits, 50)}"
            f" p99 {percentile(self.waits, 99)} ({len(self.waits)} calls at expiry)"
            + (f", other errors {dict(self.errors)}" if self.errors else "")
        )


def percentile(values: list[float], pct: int) -> str:
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.0f} ms"
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return f"{cuts[pct - 1]:.0f} ms"


class Shopper:
    """The scripted user's plan: what to do next, and what it expects the server to hold."""

    def __init__(self, user: ScriptedUser, seed: int) -> None:
        self.user = user
        self.random = random.Random(seed)
        self.owned: dict[str, dict[str, Owned]] = {name: {} for name in USERS}
        self.created: dict[str, list[str]] = {name: [] for name in USERS}  # names shown done
        self.deleted: dict[str, set[str]] = {name: set() for name in USERS}  # shown done
        self.outcomes: list[Outcome] = []
        self.current = USERS[0]
        self.count = 0

    def step(self) -> None:
        mine = self.owned[self.current]
        choice = "add" if len(mine) < FEW else "delete" if len(mine) > MANY else None
        choice = choice or self.random.choice(("add", "rename", "rename", "delete"))
        self.count += 1
        if choice == "add":
            self.add(mine)
        else:
            asset_id = self.random.choice(sorted(mine))
            if choice == "rename":
                self.rename(mine, asset_id)
            else:
                self.delete(mine, asset_id)

    def add(self, mine: dict[str, Owned]) -> None:
        name = f"soak {self.current} {self.count}"
        outcome = self.note(self.user.add(name))
        if outcome.ok and outcome.asset_id:
            mine[outcome.asset_id] = Owned(name)
            self.created[self.current].append(name)

    def rename(self, mine: dict[str, Owned], asset_id: str) -> None:
        name = f"soak {self.current} {self.count} (renamed)"
        if self.note(self.user.rename(asset_id, name)).ok:
            mine[asset_id].name = name
            mine[asset_id].renames += 1

    def delete(self, mine: dict[str, Owned], asset_id: str) -> None:
        if self.note(self.user.delete(asset_id)).ok:
            del mine[asset_id]
            self.deleted[self.current].add(asset_id)

    def note(self, outcome: Outcome) -> Outcome:
        self.outcomes.append(outcome)
        return outcome

    def switch_user(self) -> None:
        self.user.log_out()
        self.current = USERS[(USERS.index(self.current) + 1) % len(USERS)]
        self.user.log_in(self.current, own_assets=len(self.owned[self.current]))


def run_soak(user: ScriptedUser, bridge: Bridge, seconds: float, seed: int = 10) -> Report:
    """Shop for `seconds`, then compare. The shopper starts logged out."""
    shopper = Shopper(user, seed)
    user.open()
    user.log_in(shopper.current, own_assets=0)
    started = switched = time.monotonic()
    while time.monotonic() - started < seconds:
        shopper.step()
        if time.monotonic() - switched >= SWITCH_EVERY:
            shopper.switch_user()
            switched = time.monotonic()
    user.wait_quiet()
    elapsed = time.monotonic() - started
    probe = user.probe()
    report = Report(elapsed, probe["expiries"], waits=probe["waits"])
    tally_page(report, shopper, probe)
    compare_with_server(report, shopper, bridge)
    report.shopper = shopper
    return report


def tally_page(report: Report, shopper: Shopper, probe: dict[str, Any]) -> None:
    report.made = len(shopper.outcomes)
    report.completed = sum(o.ok for o in shopper.outcomes)
    shown = collections.Counter(o.error for o in shopper.outcomes if not o.ok)
    report.lost += shown.pop("no_outcome", 0)
    keeper_timeouts = probe["errors"].count("TokenRefreshTimeout")
    report.refresh_timeouts = max(keeper_timeouts, shown.pop("TokenRefreshTimeout", 0))
    report.errors.update(shown)


def compare_with_server(report: Report, shopper: Shopper, bridge: Bridge) -> None:
    for owner in USERS:
        expected = shopper.owned[owner]
        held = {a.id: a for a in bridge.assets(owner)}
        for asset_id, owned in expected.items():
            asset = held.get(asset_id)
            if asset is None or asset.name != owned.name or asset.version < 1 + owned.renames:
                report.lost += 1
                report.problems.append(f"lost: {owner} {asset_id} {owned} vs {asset}")
            elif asset.version > 1 + owned.renames:
                report.doubled += 1
                # A rename applied twice, or one applied though the page showed it failed.
                report.problems.append(f"version ahead: {owner} {asset_id} v{asset.version}")
        created = set(shopper.created[owner])
        for asset_id, asset in held.items():
            if asset_id in expected:
                continue
            if asset_id in shopper.deleted[owner]:
                report.lost += 1  # the page showed it deleted
            elif asset.name in created:
                report.doubled += 1  # a second asset from one create
            else:
                report.phantom += 1
            report.problems.append(f"unexpected on the server: {owner} {asset}")
    doubled_keys = twice_answered_keys(bridge)
    report.doubled += len(doubled_keys)
    report.problems += [f"Idempotency-Key answered 2xx twice: {k}" for k in doubled_keys]
    shown = shopper.user.own_assets()
    current = {i: o.name for i, o in shopper.owned[shopper.current].items()}
    if shown != current:
        report.problems.append(f"the page shows {shown}, expected {current}")
        report.lost += len(set(current.items()) - set(shown.items()))


def twice_answered_keys(bridge: Bridge) -> list[str]:
    by_key: dict[str, int] = collections.Counter()
    for request in bridge.writes():
        if request.idempotency_key and 200 <= request.status < 300:
            by_key[request.idempotency_key] += 1
    return sorted(key for key, n in by_key.items() if n > 1)
