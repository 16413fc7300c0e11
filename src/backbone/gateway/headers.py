"""Header rewriting in both directions: hop-by-hop fields out, forwarding fields in.

RFC 9110 §7.6.1: ``Connection`` and the fields it names, plus the well-known
hop-by-hop fields, belong to one connection and are never forwarded. The gateway
strips them first and only then adds its own fields, so a client cannot use
``Connection: X-Request-ID`` to remove what the gateway adds. ASGI servers give
header names in lower case, as bytes; everything here works on those bytes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = [
    "HOP_BY_HOP",
    "ClientInfo",
    "TrustedProxies",
    "client_address",
    "request_headers",
    "response_headers",
]

Header = tuple[bytes, bytes]

HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"proxy-authenticate",
        b"proxy-authorization",
    }
)
# Set by the gateway itself (or meaningless past it): whatever the client sent is dropped.
_REQUEST_OWNED = frozenset(
    {b"host", b"x-request-id", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host"}
    | {b"forwarded", b"x-real-ip", b"via", b"expect"}
)
_RESPONSE_OWNED = frozenset({b"x-request-id"})
VIA = b"1.1 backbone-gateway"
_NOTHING: frozenset[bytes] = frozenset()


def _connection_tokens(headers: Iterable[Header]) -> frozenset[bytes]:
    """The field names listed in every ``Connection`` header, lower case."""
    names: set[bytes] = set()
    for name, value in headers:
        if name == b"connection":
            names.update(token.strip().lower() for token in value.split(b","))
    names.discard(b"")
    return frozenset(names)


class TrustedProxies:
    """The networks whose forwarding headers are believed."""

    def __init__(self, networks: Iterable[str]) -> None:
        self._networks = tuple(ipaddress.ip_network(net, strict=False) for net in networks)

    def __contains__(self, address: object) -> bool:
        if not self._networks or not isinstance(address, str):
            return False
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self._networks)


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What the gateway knows of the client, for the forwarding fields."""

    address: str
    scheme: str
    trusted: bool


def request_headers(
    incoming: Sequence[Header], client: ClientInfo, request_id: bytes
) -> list[Header]:
    """The fields to send upstream (``Host`` is added later, per attempt)."""
    dropped = HOP_BY_HOP | _REQUEST_OWNED
    # A field named in Connection is hop-by-hop even when the gateway would otherwise
    # build on it (Via, a trusted X-Forwarded-*): it is dropped, not carried over.
    # Host alone is kept: it is the request's authority, not a forwarded field.
    named = _NOTHING
    if any(name == b"connection" for name, _ in incoming):
        named = _connection_tokens(incoming) - {b"host"}
        dropped = dropped | named
    out: list[Header] = []
    chain: list[bytes] = []
    proto = host = b""
    via: list[bytes] = []
    for name, value in incoming:
        if name not in dropped:
            out.append((name, value))
        elif name in named:
            continue
        elif name == b"host":
            host = host or value
        elif name == b"via":
            via.append(value)
        elif client.trusted:
            if name == b"x-forwarded-for":
                chain.append(value)
            elif name == b"x-forwarded-proto":
                proto = value
            elif name == b"x-forwarded-host":
                host = value
    chain.append(client.address.encode("latin-1"))
    via.append(VIA)
    out.append((b"x-request-id", request_id))
    out.append((b"x-forwarded-for", b", ".join(chain)))
    out.append((b"x-forwarded-proto", proto or client.scheme.encode("latin-1")))
    if host:
        out.append((b"x-forwarded-host", host))
    out.append((b"via", b", ".join(via)))
    return out


def response_headers(incoming: Iterable[Header], request_id: bytes) -> list[Header]:
    """The upstream's fields for the client: hop-by-hop out, repeated fields kept apart.

    Names arrive as the upstream wrote them and are lowered here; values are untouched.
    """
    lowered = [(name.lower(), value) for name, value in incoming]
    dropped = HOP_BY_HOP | _RESPONSE_OWNED
    if any(name == b"connection" for name, _ in lowered):
        dropped = dropped | _connection_tokens(lowered)
    out = [(name, value) for name, value in lowered if name not in dropped]
    out.append((b"x-request-id", request_id))
    return out


def client_address(peer: str, headers: Iterable[Header], trusted: TrustedProxies) -> str:
    """The client's address: the peer, or from a trusted peer the last untrusted hop.

    ``X-Forwarded-For`` is read from the right, skipping trusted proxies, so a client
    cannot choose its address (for rate limiting) by sending a forged chain.
    """
    if peer not in trusted:
        return peer
    headers = list(headers)
    if b"x-forwarded-for" in _connection_tokens(headers):
        return peer  # named in Connection: hop-by-hop, stripped before use
    chain = [
        hop.strip()
        for name, value in headers
        if name == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
        if hop.strip()
    ]
    for hop in reversed(chain):
        if hop not in trusted:
            return hop
    return chain[0] if chain else peer
