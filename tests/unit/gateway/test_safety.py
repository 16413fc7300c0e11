"""What the gateway refuses before forwarding: unsafe paths, ambiguous framing, big headers."""

from __future__ import annotations

import pytest

from backbone.gateway.safety import Refusal, check_header_size, check_path, declared_length

# --------------------------------------------------------------------------- check_path

SAFE_PATHS = [
    b"/users/123",
    b"/users/a.b/c./.d/...",  # dots, but no dot segment
    b"/users/a%20b",  # an encoded space is not a control character
    b"/users/%41%7e",  # decodes to plain characters
    b"/users/%2541",  # %41 after one round: still plain
    b"/users/100%2541",  # a literal percent sign, then something that decodes
]
REFUSED_PATHS = [
    b"/users/\x00",  # raw control characters
    b"/users/a\x7fb",
    b"/users/a\tb",
    b"/users/a\\b",  # a raw backslash
    b"/users/../orders",  # literal dot segments
    b"/users/./x",
    b"/users/..",
    b"/users/%2e%2e/orders",  # encoded dot segments, at any depth
    b"/users/%2E/x",
    b"/users/%252e%252e/orders",
    b"/users/%25252e%25252e",
    b"/users/a%2fb",  # an encoded slash, backslash or control character
    b"/users/a%252Fb",
    b"/users/a%5cb",
    b"/users/a%00b",
    b"/users/a%0d%0aX-Injected:%201",
    b"/users/%2525252525",  # still encoded after the last round of decoding
    b"/users/a%25b",  # a "%" that never decodes: refused, like IIS's %u002e below
    b"/users/%u002e%u002e",
]


@pytest.mark.parametrize("path", SAFE_PATHS)
def test_safe_paths_pass(path: bytes) -> None:
    """Paths that cannot escape their route are not refused."""
    assert check_path(path) is None


@pytest.mark.parametrize("path", REFUSED_PATHS)
def test_paths_that_could_escape_their_route_are_refused(path: bytes) -> None:
    """Dot segments, hidden separators and control characters, at any depth: 400."""
    assert check_path(path) == Refusal(400, "The path could escape its route and is refused.")


# --------------------------------------------------------------------------- declared_length


def cl(value: bytes) -> tuple[bytes, bytes]:
    return (b"content-length", value)


def te(value: bytes) -> tuple[bytes, bytes]:
    return (b"transfer-encoding", value)


@pytest.mark.parametrize(
    ("headers", "length"),
    [
        ([], 0),
        ([(b"x-other", b"5")], 0),
        ([cl(b"5")], 5),
        ([cl(b"0")], 0),
        ([cl(b" 5\t")], 5),  # optional whitespace around the value
        ([cl(b"9" * 18)], int(b"9" * 18)),
        ([te(b"chunked")], None),
        ([te(b"CHUNKED")], None),  # a coding name is case-insensitive
        ([te(b"\tChunked ")], None),
        ([(b"x-other", b"1"), te(b"chunked")], None),
    ],
)
def test_unambiguous_framing_declares_its_length(
    headers: list[tuple[bytes, bytes]], length: int | None
) -> None:
    """One Content-Length, or Transfer-Encoding: chunked alone: the length (None: chunked)."""
    assert declared_length(headers) == length


AMBIGUOUS_TE = "The request's framing is ambiguous (Transfer-Encoding)."
SEVERAL_CL = "The request has more than one Content-Length value."
NOT_A_NUMBER = "The request's Content-Length is not a number."


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ([cl(b"5"), te(b"chunked")], AMBIGUOUS_TE),
        ([te(b"chunked"), cl(b"5")], AMBIGUOUS_TE),
        ([te(b"chunked"), te(b"chunked")], AMBIGUOUS_TE),
        ([te(b"chunked, chunked")], AMBIGUOUS_TE),
        ([te(b"gzip, chunked")], AMBIGUOUS_TE),
        ([te(b"chunked, identity")], AMBIGUOUS_TE),
        ([te(b"xchunked")], AMBIGUOUS_TE),
        ([te(b"")], AMBIGUOUS_TE),
        ([te(b"\x0bchunked")], AMBIGUOUS_TE),  # only space and tab are whitespace here
        ([te(b"chunked\x0c")], AMBIGUOUS_TE),
        ([cl(b"5"), cl(b"5")], SEVERAL_CL),
        ([cl(b"5"), cl(b"6")], SEVERAL_CL),
        ([cl(b"5, 5")], SEVERAL_CL),
        ([cl(b"5,6")], SEVERAL_CL),
        ([cl(b"")], NOT_A_NUMBER),
        ([cl(b"+5")], NOT_A_NUMBER),
        ([cl(b"-1")], NOT_A_NUMBER),
        ([cl(b"0x5")], NOT_A_NUMBER),
        ([cl(b"5 5")], NOT_A_NUMBER),
        ([cl(b"\x0b5")], NOT_A_NUMBER),
        ([cl("\u0665".encode())], NOT_A_NUMBER),  # an Arabic-Indic digit five: not ASCII
        ([cl(b"9" * 19)], NOT_A_NUMBER),
        (
            [(b"content_length", b"0"), cl(b"5")],
            "The request's framing is ambiguous (content_length).",
        ),
        (
            [(b"transfer_encoding", b"chunked"), cl(b"5")],
            "The request's framing is ambiguous (transfer_encoding).",
        ),
    ],
)
def test_ambiguous_framing_is_refused(headers: list[tuple[bytes, bytes]], detail: str) -> None:
    """Framing a front-end and a back-end could read differently: 400 with the reason."""
    assert declared_length(headers) == Refusal(400, detail)


# --------------------------------------------------------------------------- check_header_size


def field(size: int) -> tuple[bytes, bytes]:
    """A field of ``size`` bytes on the wire (name, ": ", value, CRLF)."""
    return (b"x-f", b"v" * (size - 7))


@pytest.mark.parametrize(
    "headers",
    [[], [field(100)], [field(1000)], [field(1000)] * 4, [field(500)] * 8],
    ids=["none", "small", "field-at-its-limit", "section-at-its-limit", "many-small"],
)
def test_headers_within_the_limits_pass(headers: list[tuple[bytes, bytes]]) -> None:
    """A field up to max_field and a section up to max_total bytes are fine."""
    assert check_header_size(headers, max_field=1000, max_total=4000) is None


def test_a_field_over_its_limit_is_431() -> None:
    """One field a byte over max_field: 431, whatever the total."""
    refusal = check_header_size([field(10), field(1001)], max_field=1000, max_total=100_000)
    assert refusal == Refusal(431, "A request header field is too large.")


def test_a_section_over_its_limit_is_431() -> None:
    """Fields each within max_field, together a byte over max_total: 431."""
    refusal = check_header_size([field(1000)] * 4 + [field(8)], max_field=1000, max_total=4007)
    assert refusal == Refusal(431, "The request's header section is too large.")
