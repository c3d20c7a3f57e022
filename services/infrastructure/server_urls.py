"""A server's URL as a person or a log may see it: without the credentials it may carry.

``nats://user:secret@host:4222`` shows as ``nats://user:***@host:4222``, and a token in the
user's place (``nats://s3cr3t@host``, NATS's token auth) as ``nats://***@host``; a list of
servers (``nats://a:4222,nats://b:4222``) each so. An error's message is shown with the same
secrets hidden, in case it quotes the URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

HIDDEN = "***"


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


def _shown(url: str) -> str:
    parts = urlsplit(url.strip())
    if "@" not in parts.netloc:
        return url.strip()
    userinfo, host = parts.netloc.rsplit("@", 1)
    user, has_password, _ = userinfo.partition(":")
    shown = f"{user}:{HIDDEN}" if has_password else HIDDEN
    return parts._replace(netloc=f"{shown}@{host}").geturl()


def _secrets(url: str) -> list[str]:
    found = []
    for part in url.split(","):
        netloc = urlsplit(part.strip()).netloc
        if "@" in netloc:
            user, has_password, password = netloc.rsplit("@", 1)[0].partition(":")
            found.append(password if has_password else user)
    return [secret for secret in found if secret]
