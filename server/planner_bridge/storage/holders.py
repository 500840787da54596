"""Who holds an idempotency reservation, and whether it is still alive (SPEC "Several
instances": a write in flight on an instance that died is retried elsewhere within 5 s).

A reservation is a lease (`planner.idempotency.RESERVATION_LEASE`, 60 s) so that a request that
died frees its key; but a retry must not wait for that when the whole instance died. So each
reservation also names its holder, and a reservation whose holder is gone is taken over at once:

- PostgreSQL: the database session (backend pid) the claim ran on. A pooled connection lives as
  long as its instance; when the instance dies, PostgreSQL sees its sockets close and ends its
  sessions within moments, and `pg_stat_activity` stops listing them. This needs no heartbeat
  and no clock agreement between instances (the claim's SQL checks it, in `postgresql_
  transactions`). A session that ends while its instance lives (the pool replaced the
  connection) makes a live reservation look dead: then another request may take the key over,
  and the first one's write is refused at `keep_answer` (owner mismatch, 409), never applied
  twice. A pid reused by a new session makes a dead one look alive: the lease still frees it.
- SQLite: the process (pid and its start time, so a restarted server whose pid was reused,
  as pid 1 is in every container, is not taken for its dead predecessor). Every process on
  one database file runs on this machine, so the check is a look at /proc. (Processes sharing
  the file from different PID namespaces would see each other as gone: then a live request
  may lose its key as above, refused, never applied twice.)
"""

from __future__ import annotations

import functools
import os
from pathlib import Path


@functools.cache
def this_process() -> str:
    """This process as a SQLite reservation's holder: "PID:START"."""
    return f"{os.getpid()}:{_start_time(os.getpid())}"


def process_gone(holder: str) -> bool:
    """Whether the process a SQLite reservation names has ended ('' names none: only its
    lease frees it)."""
    pid_text, _, start = holder.partition(":")
    if not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if holder == this_process():
        return False
    try:
        os.kill(pid, 0)  # signal 0: only whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:  # it exists, as another user: compare its start below
        pass
    return _start_time(pid) != start


def _start_time(pid: int) -> str:
    """When the process started (clock ticks since boot, field 22 of /proc/PID/stat); "" where
    there is no /proc, and then the pid alone names the process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]  # fields after "(name)" start at field 3
