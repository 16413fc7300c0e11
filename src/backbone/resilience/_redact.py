"""Credentials out of URLs before a URL reaches a message, a log line or a hook.

:func:`redact_urls` masks, wherever a URL stands in a text (alone, in an exception's
message, in a ``repr``, or as a relative target such as ``/callback?code=...``):

- the userinfo of a ``scheme://`` URL: ``http://user:pw@host/`` → ``http://***@host/``;
- the value of a query or fragment parameter with a sensitive name: ``token``, ``key``,
  ``api_key``, ``apikey``, ``access_token``, ``secret``, ``signature``, ``sig``,
  ``password``, ``passwd``, ``pwd``, ``auth``, ``authorization``, ``code``,
  ``credential(s)``, and any name ending in ``_`` / ``-`` / ``.`` and one of the words
  token, key, secret, signature, sig, password, passwd, pwd, credential(s), auth
  (``refresh_token``, ``X-Amz-Signature``); any case, percent-encoded or not:
  ``?token=abc&page=2`` → ``?token=***&page=2``.

Everything else is left as it was, so the text still says where a request went. A
value ends at ``&``, ``#``, white space, a quote, ``<``, ``>`` or a backslash: a
masked value never swallows a JSON escape, so JSON stays JSON.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

__all__ = ["redact_urls"]

MASK = "***"
# No look-behinds: a pattern that starts on a literal character is searched for fast.
_USERINFO = re.compile(r"(://)[^/?#\s\"'<>\\]+@")  # greedy: up to the authority's last @
_PARAMETER = re.compile(r"([?&#])([^=&#?/\s\"'<>\\]+)=[^&#\s\"'<>\\]*")
_NAMES = frozenset(
    {"apikey", "authorization", "code", "access_token", "api_key"}
    | {"token", "key", "secret", "signature", "sig", "password", "passwd", "pwd", "auth"}
    | {"credential", "credentials"}
)
_LAST_WORDS = _NAMES - {"apikey", "authorization", "code", "access_token", "api_key"}


def redact_urls(text: str) -> str:
    """``text`` with the userinfo and the sensitive parameter values of its URLs masked."""
    # Substring tests first: most texts have no URL, and then cost next to nothing.
    if "@" in text and "://" in text:
        text = _USERINFO.sub(rf"\1{MASK}@", text)
    if "=" in text and ("?" in text or "&" in text or "#" in text):
        text = _PARAMETER.sub(_mask_parameter, text)
    return text


def _sensitive(name: str) -> bool:
    name = (unquote(name) if "%" in name else name).lower()
    if name in _NAMES:
        return True
    _, separator, last = name.replace("-", "_").replace(".", "_").rpartition("_")
    return bool(separator) and last in _LAST_WORDS


def _mask_parameter(match: re.Match[str]) -> str:
    start, name = match[1], match[2]
    return f"{start}{name}={MASK}" if _sensitive(name) else match[0]
