"""A server's URL as a person or a log may see it: without the credentials it may carry.

``nats://user:secret@host:4222`` shows as ``nats://user:***@host:4222``, and a token in the
user's place (``nats://s3cr3t@host``, NATS's token auth) as ``nats://***@host``; a list of
servers (``nats://a:4222,nats://b:4222``) each so. An error's message is shown with the same
secrets hidden, in case it quotes the URL.

A NATS URL may list a cluster's servers, comma separated, as NATS's own tools take it: the
client is given them as a list (``nats_servers``; the whole string read as one URL failed
with "invalid connect url option", tried again for 30 s), and one that cannot be a NATS
server's URL is refused at start (``nats_url_problem``).
"""

from __future__ import annotations

from urllib.parse import urlsplit

HIDDEN = "***"


NATS_SCHEMES = ("nats", "tls", "ws", "wss")


def nats_servers(url: str) -> list[str]:
    """The servers of a NATS URL, each once, in the order given."""
    return list(dict.fromkeys(part.strip() for part in url.split(",") if part.strip()))


def nats_url_problem(url: str) -> str | None:
    """Why ``url`` (a list of servers) cannot reach NATS, naming the server with its
    credentials hidden; None when each server is a NATS URL (``host``, ``host:port`` or
    ``nats://``, ``tls://``, ``ws://``, ``wss://``), websocket ones not mixed with the others,
    as the client requires."""
    servers = nats_servers(url)
    if not servers:
        return "names no server (nats://host:4222, or several comma separated)"
    for n, server in enumerate(servers, 1):
        problem = _server_problem(server)
        if problem is not None:
            return f"server {n} ({without_credentials(server)}) {problem}"
    if len({_split(server)[0].lower() in ("ws://", "wss://") for server in servers}) > 1:
        return "mixes websocket (ws://, wss://) and other servers, which one client cannot"
    return None


def _server_problem(server: str) -> str | None:
    try:
        parts = urlsplit(server if "://" in server else f"nats://{server}")
    except ValueError as failure:  # an unclosed [ of an IPv6 address
        return f"is not a URL: {failure}"
    if parts.scheme not in NATS_SCHEMES:
        return "is not nats://, tls://, ws:// or wss://"
    try:
        parts.port  # noqa: B018  (read for the error it raises)
    except ValueError:
        return "has a port that is not a number from 0 to 65535"
    return None if parts.hostname else "names no host"


def without_credentials(url: str) -> str:
    return ",".join(_shown(part) for part in url.split(","))


def hidden_from(text: str, url: str) -> str:
    """``text`` with every secret ``url`` carries replaced by ``***``."""
    for secret in _secrets(url):
        text = text.replace(secret, HIDDEN)
    return text


def described(failure: BaseException, url: str) -> str:
    """What went wrong, in one line (its kind, and its message when it has one), with the
    secrets ``url`` carries hidden."""
    message = " ".join(str(failure).split())
    kind = type(failure).__name__
    return hidden_from(f"{kind}: {message}" if message else kind, url)


def _split(url: str) -> tuple[str, str, str]:
    """``url`` as its scheme (with ``://``), the part naming user and host, and the rest.
    Cut by hand, not by ``urlsplit``: a server named without a scheme (``ops:pw@host:4222``,
    as ``nats_url_problem`` takes it) read as scheme ``ops``, its password shown in every
    log line, and a URL ``urlsplit`` refuses (``nats://[::1``) could not be shown at all."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        scheme, rest = "", url.strip()
    end = min([i for i in map(rest.find, "/?#") if i >= 0], default=len(rest))
    return scheme + sep, rest[:end], rest[end:]


def _shown(url: str) -> str:
    scheme, netloc, rest = _split(url)
    if "@" not in netloc:
        return url.strip()
    userinfo, host = netloc.rsplit("@", 1)
    user, has_password, _ = userinfo.partition(":")
    shown = f"{user}:{HIDDEN}" if has_password else HIDDEN
    return f"{scheme}{shown}@{host}{rest}"


def _secrets(url: str) -> list[str]:
    found = []
    for part in url.split(","):
        netloc = _split(part)[1]
        if "@" in netloc:
            user, has_password, password = netloc.rsplit("@", 1)[0].partition(":")
            found.append(password if has_password else user)
    return [secret for secret in found if secret]
