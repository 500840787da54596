"""The client address of a request, and the one home of that idea (PLANNER_BRIDGE_TRUSTED_PROXIES).

Everything keyed on a client address (the brakes of the planner origin and of the demo shop)
asks `TrustedProxies.client_address`. `X-Forwarded-For` is believed only when the peer is a
trusted proxy, and then only as far as trusted hops go: the list is read right to left, each
trusted hop is skipped, and the first address not trusted is the client. Anything left of it was
written by the client and could name anyone, so it is never read. uvicorn's own proxy-header
handling is off (`serving.make_server`), so the ASGI scope's `client` is the TCP peer.

IPv6 clients are braked per /64 (`brake_subject`): one host commonly holds a whole /64, and
counting each of its 2^64 addresses apart would make a brake nothing.

Works on the ASGI scope (a plain mapping), so it knows nothing of Starlette.
"""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"  # no peer at all (e.g. a Unix socket): all such clients share one count
MAX_FORWARDED_HOPS = 32  # a longer header is read no further: bounded work per request


def parse_networks(text: str) -> tuple[Network, ...]:
    """`"10.0.0.1, 192.168.0.0/16 ::1"` → networks; raises ValueError naming the bad entry."""
    networks = []
    for entry in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or CIDR block") from None
    return tuple(networks)


# Parsing an address is most of finding a request's client; the same few peers (proxies, a
# shop's back-end) send nearly every request. Bounded: a stranger churning addresses only misses.
PARSED_ADDRESSES = 4096


@functools.lru_cache(maxsize=PARSED_ADDRESSES)
def _address(text: str) -> Address | None:
    text = text.strip()
    if text.startswith("["):  # "[v6]" or "[v6]:port", as some proxies write them
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # "v4:port"
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else None
    return mapped or address


class TrustedProxies:
    """The peers whose `X-Forwarded-For` is believed (none by default)."""

    def __init__(self, networks: Iterable[Network] = ()) -> None:
        self.networks = tuple(networks)

    @classmethod
    def parse(cls, text: str) -> TrustedProxies:
        return cls(parse_networks(text))

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def client_address(self, scope: Mapping[str, Any]) -> str:
        """The address of the client that sent this request, as text."""
        peer = scope.get("client")
        address = _address(str(peer[0])) if peer else None
        if address is None:
            return str(peer[0]) if peer else UNKNOWN
        if not self.networks or not self.trusts(address):
            return str(address)
        for hop in reversed(_forwarded_for(scope)[-MAX_FORWARDED_HOPS:]):
            forwarded = _address(hop)
            if forwarded is None:  # a trusted proxy wrote nonsense: blame the one that passed it
                return str(address)
            address = forwarded
            if not self.trusts(address):
                return str(address)
        return str(address)  # every hop trusted: the leftmost one is the client


def _forwarded_for(scope: Mapping[str, Any]) -> list[str]:
    """Every X-Forwarded-For entry, in order (several header lines read as one list)."""
    entries: list[str] = []
    for name, value in scope.get("headers", ()):
        if name == b"x-forwarded-for":
            entries.extend(part for part in value.decode("latin-1").split(",") if part.strip())
    return entries


@functools.lru_cache(maxsize=PARSED_ADDRESSES)
def brake_subject(address: str) -> str:
    """What a brake counts for a client address: the address, or its /64 for IPv6."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address):
        return f"addr:{ipaddress.IPv6Network((parsed, 64), strict=False)}"
    return f"addr:{address}"
