"""Keep secrets out of anything a person or a machine may read: logs, errors, stored URLs."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
SECRET_QUERY_KEYS = frozenset({"apikey", "api_key", "key", "token", "access_token"})


def url_password(url: str) -> str | None:
    try:
        return urlsplit(url).password
    except ValueError:
        return None


def redact_url(url: str) -> str:
    """Mask a URL's password and any secret-looking query parameter."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if not parts.password and not any(k.lower() in SECRET_QUERY_KEYS for k, _ in pairs):
        return url  # nothing to hide: keep the URL exactly as given (duckdb:/// included)
    netloc = parts.netloc
    if parts.password:
        netloc = netloc.replace(f":{parts.password}@", f":{MASK}@")
    query = urlencode(
        [
            (k, MASK if k.lower() in SECRET_QUERY_KEYS else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ],
        safe="*",
    )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Replace every occurrence of each secret (and apiKey=... query values) with a mask."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, MASK)
    return re.sub(r"(?i)(apikey|api_key)=([^&\s\"']+)", rf"\1={MASK}", text)
