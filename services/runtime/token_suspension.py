"""Whether ``carecoord token`` may issue a token for its user: not for one a program admin
suspended, whom the API refuses every request (``user-suspended``). The suspension is read
from the store itself, as the gate reads it, never from a view that may lag.

The store is the one DATABASE_URL names, else the embedded one a running ``carecoord up``
of the same data directory serves. With neither running there is no store to read: the
token is issued, and the API asks again at its every request."""

from __future__ import annotations

from carecoord.services.gate.suspensions import suspended_in_store
from carecoord.services.infrastructure.settings import Settings
from carecoord.services.runtime import logs
from carecoord.services.runtime.session import RuntimeBroken, live_runtime


class Refused(Exception):
    """Why no token is issued; ``status`` is the command's exit status."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def not_suspended(settings: Settings, user_id: str) -> None:
    """Raise ``Refused`` (2, naming ``--user``) for a suspended user, and (1) when the store
    cannot be read: a token is not issued on a guess."""
    try:
        database_url = settings.database_url or _embedded(settings)
        if database_url is None:
            return
        suspended = suspended_in_store(database_url, user_id)
    except RuntimeBroken as broken:
        raise Refused(str(broken), 1) from None
    except logs.DATABASE_LOST as error:
        why = logs.database_failure(error)
        raise Refused(f"cannot read whether the user is suspended: {why}", 1) from None
    if suspended:
        raise Refused(
            f"argument --user: user {user_id} is suspended (user-suspended): the API refuses"
            " them every request; a program admin reinstates them",
            2,
        )


def _embedded(settings: Settings) -> str | None:
    """The database of the embedded servers running for the data directory, if any."""
    found = live_runtime(settings.data_dir)
    return None if found is None else found.database_url
