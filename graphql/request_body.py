"""What a POST body must be for the API to read it: ``application/json`` in UTF-8, sent as
is, else 415 Unsupported Media Type (RFC 9110, 15.5.16).

Before, the body was read as UTF-8 JSON whatever its headers said: a gzip-compressed body
(``Content-Encoding: gzip``) was answered 400 "not UTF-8", one declared ``charset=latin1``
was decoded as UTF-8 (its accented letters misread or refused as not UTF-8), and any media
type holding the text ``application/json`` (``application/json-patch+json``) was taken. A
client is now told what it sent that cannot be read, and a refused content coding names
the only one taken (``Accept-Encoding: identity``, RFC 9110, 12.5.3).
"""

from __future__ import annotations

from cross_web import HTTPException
from strawberry.http.parse_content_type import parse_content_type

MEDIA_TYPE = "application/json"
CHARSETS = frozenset({"utf-8", "utf8"})
CODINGS = frozenset({"", "identity"})


class Unsupported(HTTPException):
    """A 415, with the headers that say what would be taken."""

    def __init__(self, reason: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(415, reason)
        self.headers = headers or {}


def check_body(content_type: str | None, content_encoding: str | None) -> None:
    """Refuse (``Unsupported``) a body the API cannot read as it is declared."""
    coding = (content_encoding or "").strip().lower()
    if coding not in CODINGS:
        raise Unsupported(
            "the request body's Content-Encoding is not taken: send it uncompressed",
            {"accept-encoding": "identity"},
        )
    media, params = parse_content_type(content_type or "")
    if media.lower() != MEDIA_TYPE:
        raise Unsupported(
            "Unsupported content type: send a POST body as application/json"
            " (a query may also go by GET)"
        )
    charset = params.get("charset", "utf-8").strip().lower()
    if charset not in CHARSETS:
        raise Unsupported("the request body must be UTF-8: send charset=utf-8 or none")
