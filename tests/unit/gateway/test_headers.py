"""Header rewriting both ways, the trusted-proxy check and the client's address."""

from __future__ import annotations

import pytest

from backbone.gateway.headers import (
    HOP_BY_HOP,
    ClientInfo,
    TrustedProxies,
    client_address,
    request_headers,
    response_headers,
)

UNTRUSTED = ClientInfo(address="203.0.113.9", scheme="http", trusted=False)
TRUSTED = ClientInfo(address="10.0.0.2", scheme="https", trusted=True)
RID = b"rid-1"


def _gateway_fields(out: list[tuple[bytes, bytes]]) -> dict[bytes, list[bytes]]:
    owned = {b"x-request-id", b"x-forwarded-for", b"x-forwarded-proto", b"x-forwarded-host", b"via"}
    found: dict[bytes, list[bytes]] = {}
    for name, value in out:
        if name in owned:
            found.setdefault(name, []).append(value)
    return found


# --------------------------------------------------------------------------- TrustedProxies


def test_no_networks_trust_nobody() -> None:
    """With no networks configured, no address is trusted."""
    assert "127.0.0.1" not in TrustedProxies([])


@pytest.mark.parametrize(
    ("address", "trusted"),
    [
        ("10.1.2.3", True),
        ("10.255.255.255", True),
        ("11.0.0.1", False),
        ("192.168.1.1", True),
        ("192.168.1.2", False),
        ("::1", True),
        ("2001:db8::1", False),
        ("not-an-ip", False),
        ("", False),
        (None, False),
        (0x0A000001, False),
    ],
)
def test_trusted_proxies_membership(address: object, trusted: bool) -> None:
    """An address is trusted only when it is a valid IP string inside a configured network."""
    proxies = TrustedProxies(["10.0.0.0/8", "192.168.1.1", "::1/128"])
    assert (address in proxies) is trusted


def test_networks_need_not_be_strict() -> None:
    """Host bits set in a network are ignored (10.0.0.5/8 means 10.0.0.0/8)."""
    assert "10.9.9.9" in TrustedProxies(["10.0.0.5/8"])


# --------------------------------------------------------------------------- request_headers


def test_end_to_end_fields_pass_in_order_and_gateway_fields_are_added() -> None:
    """End-to-end fields keep their order and repetitions; the gateway's come last."""
    incoming = [
        (b"host", b"gateway.example"),
        (b"accept", b"*/*"),
        (b"x-multi", b"1"),
        (b"cookie", b"a=b"),
        (b"x-multi", b"2"),
    ]
    out = request_headers(incoming, UNTRUSTED, RID)
    assert out == [
        (b"accept", b"*/*"),
        (b"x-multi", b"1"),
        (b"cookie", b"a=b"),
        (b"x-multi", b"2"),
        (b"x-request-id", RID),
        (b"x-forwarded-for", b"203.0.113.9"),
        (b"x-forwarded-proto", b"http"),
        (b"x-forwarded-host", b"gateway.example"),
        (b"via", b"1.1 backbone-gateway"),
    ]


@pytest.mark.parametrize("name", sorted(HOP_BY_HOP))
def test_hop_by_hop_fields_are_dropped(name: bytes) -> None:
    """Every RFC 9110 §7.6.1 hop-by-hop field is dropped from the request."""
    out = request_headers([(name, b"x"), (b"x-kept", b"1")], UNTRUSTED, RID)
    assert name not in {n for n, _ in out}
    assert (b"x-kept", b"1") in out


def test_fields_named_in_connection_are_dropped() -> None:
    """Every field named in any Connection header goes, whatever its case or spacing."""
    incoming = [
        (b"connection", b"keep-alive, X-Secret ,,x-other"),
        (b"connection", b"X-Third"),
        (b"x-secret", b"1"),
        (b"x-other", b"2"),
        (b"x-third", b"3"),
        (b"x-kept", b"4"),
    ]
    out = request_headers(incoming, UNTRUSTED, RID)
    assert [(n, v) for n, v in out if n.startswith(b"x-") and n not in _gateway_fields(out)] == [
        (b"x-kept", b"4")
    ]


def test_connection_cannot_remove_what_the_gateway_adds() -> None:
    """Strip first, then add: naming the gateway's own fields in Connection removes nothing."""
    incoming = [
        (b"host", b"gw"),
        (b"connection", b"x-request-id, x-forwarded-for, x-forwarded-proto, via, host"),
        (b"x-request-id", b"client"),
        (b"x-forwarded-for", b"6.6.6.6"),
    ]
    fields = _gateway_fields(request_headers(incoming, UNTRUSTED, RID))
    assert fields == {
        b"x-request-id": [RID],
        b"x-forwarded-for": [b"203.0.113.9"],
        b"x-forwarded-proto": [b"http"],
        b"x-forwarded-host": [b"gw"],  # Host is the request's authority: never hop-by-hop
        b"via": [b"1.1 backbone-gateway"],
    }


def test_trusted_fields_named_in_connection_are_not_believed() -> None:
    """From a trusted proxy, forwarding fields named in Connection are dropped, not used."""
    incoming = [
        (b"host", b"gw"),
        (b"connection", b"x-forwarded-for, x-forwarded-proto, x-forwarded-host, via"),
        (b"x-forwarded-for", b"1.1.1.1"),
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-host", b"public.example"),
        (b"via", b"1.0 lb"),
    ]
    fields = _gateway_fields(request_headers(incoming, TRUSTED, RID))
    assert fields[b"x-forwarded-for"] == [b"10.0.0.2"]
    assert fields[b"x-forwarded-proto"] == [b"https"]  # the connection's own scheme
    assert fields[b"x-forwarded-host"] == [b"gw"]
    assert fields[b"via"] == [b"1.1 backbone-gateway"]


def test_untrusted_forwarding_fields_are_replaced() -> None:
    """From an untrusted peer, incoming forwarding fields are dropped and rebuilt."""
    incoming = [
        (b"host", b"gw"),
        (b"x-forwarded-for", b"6.6.6.6"),
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-host", b"evil.example"),
        (b"forwarded", b"for=6.6.6.6"),
        (b"x-real-ip", b"6.6.6.6"),
        (b"expect", b"100-continue"),
        (b"via", b"1.0 fred"),
    ]
    out = request_headers(incoming, UNTRUSTED, RID)
    assert {n for n, _ in out} == set(_gateway_fields(out))
    assert _gateway_fields(out) == {
        b"x-request-id": [RID],
        b"x-forwarded-for": [b"203.0.113.9"],
        b"x-forwarded-proto": [b"http"],
        b"x-forwarded-host": [b"gw"],
        b"via": [b"1.0 fred, 1.1 backbone-gateway"],
    }


def test_trusted_forwarding_fields_are_extended() -> None:
    """From a trusted proxy, the XFF chain grows and its proto and host are believed."""
    incoming = [
        (b"host", b"gw"),
        (b"x-forwarded-for", b"1.1.1.1, 2.2.2.2"),
        (b"x-forwarded-for", b"3.3.3.3"),
        (b"x-forwarded-proto", b"https"),
        (b"x-forwarded-host", b"public.example"),
        (b"x-real-ip", b"9.9.9.9"),
        (b"via", b"1.1 lb"),
    ]
    out = request_headers(incoming, TRUSTED, RID)
    assert (b"x-real-ip", b"9.9.9.9") not in out
    assert _gateway_fields(out) == {
        b"x-request-id": [RID],
        b"x-forwarded-for": [b"1.1.1.1, 2.2.2.2, 3.3.3.3, 10.0.0.2"],
        b"x-forwarded-proto": [b"https"],
        b"x-forwarded-host": [b"public.example"],
        b"via": [b"1.1 lb, 1.1 backbone-gateway"],
    }


def test_trusted_forwarded_host_wins_whatever_its_position() -> None:
    """A trusted X-Forwarded-Host before Host still wins; a second Host is ignored."""
    incoming = [(b"x-forwarded-host", b"public.example"), (b"host", b"gw"), (b"host", b"other")]
    fields = _gateway_fields(request_headers(incoming, TRUSTED, RID))
    assert fields[b"x-forwarded-host"] == [b"public.example"]


def test_first_host_is_the_forwarded_host() -> None:
    """With two Host fields (an invalid request), the first is the one reported."""
    incoming = [(b"host", b"first"), (b"host", b"second")]
    fields = _gateway_fields(request_headers(incoming, UNTRUSTED, RID))
    assert fields[b"x-forwarded-host"] == [b"first"]


def test_no_host_means_no_forwarded_host() -> None:
    """An HTTP/1.0 request without Host gets no X-Forwarded-Host."""
    out = request_headers([], UNTRUSTED, RID)
    assert b"x-forwarded-host" not in {n for n, _ in out}
    assert b"host" not in {n for n, _ in out}


# --------------------------------------------------------------------------- response_headers


def test_response_fields_pass_with_repetitions_apart() -> None:
    """Repeated fields (Set-Cookie) stay separate; names are lowered, values untouched."""
    incoming = [
        (b"Content-Type", b"application/json"),
        (b"Set-Cookie", b"a=1; Path=/"),
        (b"set-cookie", b"b=2, c=3"),
        (b"ETag", b'"v1"'),
    ]
    assert response_headers(incoming, RID) == [
        (b"content-type", b"application/json"),
        (b"set-cookie", b"a=1; Path=/"),
        (b"set-cookie", b"b=2, c=3"),
        (b"etag", b'"v1"'),
        (b"x-request-id", RID),
    ]


def test_response_hop_by_hop_and_connection_named_fields_are_dropped() -> None:
    """Hop-by-hop fields and those named in the upstream's Connection never reach the client."""
    incoming = [
        (b"Connection", b"X-Secret"),
        (b"X-Secret", b"1"),
        (b"Keep-Alive", b"timeout=5"),
        (b"Transfer-Encoding", b"chunked"),
        (b"Upgrade", b"h2c"),
        (b"Proxy-Authenticate", b"Basic"),
        (b"Trailer", b"x-sum"),
        (b"X-Kept", b"yes"),
    ]
    assert response_headers(incoming, RID) == [(b"x-kept", b"yes"), (b"x-request-id", RID)]


def test_upstream_request_id_is_replaced() -> None:
    """The upstream's X-Request-ID is replaced by the gateway's, never duplicated."""
    incoming = [(b"X-Request-ID", b"upstream"), (b"x-request-id", b"again")]
    assert response_headers(incoming, RID) == [(b"x-request-id", RID)]


# --------------------------------------------------------------------------- client_address


PROXIES = TrustedProxies(["10.0.0.0/8"])


def test_untrusted_peer_is_the_client() -> None:
    """An untrusted peer's X-Forwarded-For is ignored: the peer is the client."""
    headers = [(b"x-forwarded-for", b"1.2.3.4")]
    assert client_address("203.0.113.9", headers, PROXIES) == "203.0.113.9"


def test_trusted_peer_gives_the_last_untrusted_hop() -> None:
    """From a trusted peer, XFF is read from the right, skipping trusted hops."""
    headers = [
        (b"x-forwarded-for", b"6.6.6.6, 1.2.3.4"),
        (b"accept", b"*/*"),
        (b"x-forwarded-for", b" 10.0.0.7 ,, "),
    ]
    assert client_address("10.0.0.2", headers, PROXIES) == "1.2.3.4"


def test_all_trusted_chain_gives_its_first_hop() -> None:
    """When every hop is trusted, the left-most one is the client."""
    headers = [(b"x-forwarded-for", b"10.0.0.9, 10.0.0.8")]
    assert client_address("10.0.0.2", headers, PROXIES) == "10.0.0.9"


def test_trusted_peer_without_chain_is_the_client() -> None:
    """A trusted peer that sends no XFF (or an empty one) is the client itself."""
    assert client_address("10.0.0.2", [], PROXIES) == "10.0.0.2"
    assert client_address("10.0.0.2", [(b"x-forwarded-for", b" , ")], PROXIES) == "10.0.0.2"


def test_chain_named_in_connection_is_not_used() -> None:
    """XFF named in Connection is hop-by-hop, stripped before use: the peer is the client."""
    headers = [(b"connection", b"X-Forwarded-For"), (b"x-forwarded-for", b"1.2.3.4")]
    assert client_address("10.0.0.2", headers, PROXIES) == "10.0.0.2"


def test_client_address_accepts_a_one_shot_iterable() -> None:
    """The headers may be a generator: they are read once."""
    headers = iter([(b"connection", b"close"), (b"x-forwarded-for", b"1.2.3.4")])
    assert client_address("10.0.0.2", headers, PROXIES) == "1.2.3.4"
