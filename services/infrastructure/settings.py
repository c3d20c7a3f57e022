"""One settings object, read once at start from the environment (or a .env file)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import psycopg
from psycopg.conninfo import conninfo_to_dict, timeout_from_conninfo
from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from carecoord.services.infrastructure.server_urls import nats_url_problem

ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")
"""A web origin as a browser's ``Origin`` header names one."""

AES_KEY_SIZES = (16, 24, 32)
"""The key sizes, in bytes, of the store's cipher (AES-GCM)."""

Flush = Literal["flushed", "committed"]
"""When a read's access-log entry is enough to answer (``access_log_flush``)."""


DATA_DIR = Path(".carecoord")
"""Where the embedded servers, the development key and the runtime file are kept."""

DEFAULT_SUBJECT_ROOT = "care"
DISCLOSED = "disclosed"
"""The first token of a disclosure's subject under the default subject root
(``Settings.disclosure_root``)."""
ANCHORS = "anchors"
"""The first token of the event chain's anchors' subject, ``anchors.<subject_root>.event-chain``
(``services/infrastructure/chain_anchors.py``)."""
PUBLISHER_INBOX = "_INBOX_relay"
"""The inbox prefix of the platform's own broker connection (the relay's, ``up``'s, the
forwarder's): its JetStream replies (stream info, publish acks, stored messages) come there
alone, so its NATS user subscribes to ``_INBOX_relay.>`` and reads no other user's replies
on ``_INBOX.>`` (deploy/nats.conf)."""
TAIL_INBOX = "_INBOX_tail"
"""The inbox prefix of ``carecoord tail``'s connection: its consumer's deliveries and its
JetStream replies come there alone, so its NATS user (``carecoord``) subscribes to
``_INBOX_tail.>`` and reads no other user's replies on ``_INBOX.>`` (deploy/nats.conf)."""
TAKEN_FIRST_TOKENS = {
    DISCLOSED: "disclosures to outside recipients go to disclosed.> and disclosed-<root>.>",
    ANCHORS: "the event chain's anchors go to anchors.<root>.event-chain",
    "_INBOX": "NATS replies and JetStream deliveries go to _INBOX.>",
    PUBLISHER_INBOX: f"the relay's replies go to {PUBLISHER_INBOX}.>",
    TAIL_INBOX: f"a tail's deliveries go to {TAIL_INBOX}.>",
}
"""The first tokens of the platform's other subjects, and of NATS's own, that no subject root
may take (a ``$`` never fits its pattern: ``$JS``, ``$SYS``, ``$KV``)."""


HS256_KEY_BYTES = 32
"""The shortest HS256 key: a shorter one is weaker than the hash (RFC 7518, 3.2)."""

ENV_FILE = ".env"
"""The file of settings read beside the environment, in the working directory."""


HOST_MAX = 253
"""The longest host name DNS has (an address is shorter)."""


def interface_refusal(host: str) -> str | None:
    """Why ``host`` (``--host``, ``CARECOORD_HOST``) cannot be the interface to listen on;
    None when it may be. An empty one listened on every interface of the machine (a blank
    line in .env, a compose file's unset variable): asking for that is 0.0.0.0, said. One
    holding a control character was echoed raw into the refusal once the servers had
    started, a terminal's escapes and all."""
    if not host.strip():
        return "empty; give the interface to listen on, such as 127.0.0.1 (0.0.0.0 for all)"
    if len(host) > HOST_MAX or not host.isprintable() or host != host.strip():
        return (
            f"not a host name or address: printable text of 1 to {HOST_MAX} characters,"
            " such as 127.0.0.1"
        )
    return None


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CARECOORD_", env_file=ENV_FILE, extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CARECOORD_DATABASE_URL", "DATABASE_URL"),
        description="PostgreSQL URL; unset means an embedded server under data_dir.",
    )
    read_database_url: str | None = Field(
        default=None,
        description="A streaming replica of database_url for the API's read-model queries "
        "(docs/deployment.md); unset: they read the primary. Writes, the store, access-change "
        "probes and subscriptions always use the primary.",
    )
    nats_url: str | None = Field(
        default=None,
        validation_alias=AliasChoices("CARECOORD_NATS_URL", "NATS_URL"),
        description="NATS URL; unset means an embedded nats-server under data_dir.",
    )
    data_dir: Path = DATA_DIR
    environment: Literal["development", "production"] = "development"

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    metrics_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Where `carecoord relay` and `carecoord project` serve /metrics and "
        "/health (on `host`); unset: no listener. The API serves both on its own port.",
    )
    tracing: Literal["off", "console", "otlp"] = Field(
        default="off",
        description="OpenTelemetry spans (services/infrastructure/tracing.py): otlp sends them "
        "where OTEL_EXPORTER_OTLP_ENDPOINT says, console writes them to stderr; off: none.",
    )

    subject_root: str = Field(
        default=DEFAULT_SUBJECT_ROOT, pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$"
    )
    stream_name: str = Field(default="CARE", pattern=r"^[A-Za-z0-9_-]+$")
    duplicate_window_seconds: float = 3600.0
    stream_replicas: int = Field(
        default=1,
        ge=1,
        le=5,
        description="Copies JetStream keeps of the stream: 3 on a three-node cluster.",
    )

    jwt_secret: str | None = Field(
        default=None, description="HS256 key; unset in development means a key under data_dir."
    )
    jwt_issuer: str = "carecoord"
    jwt_audience: str = "carecoord-api"

    cipher_key: str | None = Field(
        default=None, description="AES key (base64) that encrypts event bodies at rest."
    )

    command_batch_max: int = Field(default=200, ge=1)
    aggregate_cache_size: int = Field(default=20_000, ge=0)
    relay_page_size: int = Field(default=500, ge=1)
    projection_batch_size: int = Field(default=500, ge=1)
    projector_share: str = Field(
        default="1/1",
        description="K/N: the read models this projector keeps when N projectors share them.",
    )
    access_log_flush: Flush = Field(
        default="committed",
        description="When a read's access-log entry is enough to answer: committed (the "
        "WAL writer flushes it within ~0.6 s; a database crash in that window loses it) or "
        "flushed (each read also waits for its WAL flush: the disk's fsync tail becomes "
        "the read's). Clinical events are always flushed before a command answers.",
    )
    read_your_writes_timeout: float = Field(default=2.0, gt=0)
    max_websockets_per_user: int = Field(
        default=20,
        ge=1,
        description="GraphQL websockets one user may have open at once across the API "
        "processes of one database; one more is closed at its connection_init with 1013 "
        "(each socket runs at most 100 operations at once).",
    )
    cors_origins: Annotated[tuple[str, ...], NoDecode] = Field(
        default=(),
        description="Web origins (https://host[:port]) whose pages may call the GraphQL API "
        "from a browser, separated by commas (or a JSON list); none by default, so only "
        "pages of the API's own origin can.",
    )
    db_pool_size: int = Field(default=8, ge=1)
    api_statement_timeout_seconds: float = Field(
        default=30.0,
        gt=0,
        description="The longest one statement of the API's reads (and of the write gate's "
        "checks) may run, waiting on a lock included: PostgreSQL's statement_timeout on the "
        "pool they read with; one stopped there is answered UNAVAILABLE, rule "
        "database-timeout, for the client to retry. Writes to the store and the access log, "
        "the projector, the relay, rebuilds, exports and migrations are not bound by it.",
    )

    # The event chain's anchors (services/infrastructure/chain_anchors.py), kept by the relay's
    # process.
    chain_anchor_interval_seconds: float = Field(
        default=60.0, gt=0, description="How often the chain's head is anchored when it moved."
    )
    chain_anchor_file: Path | None = Field(
        default=None, description="JSON Lines file of anchors; unset: under data_dir."
    )

    # Outages (services/infrastructure/liveness.py): the NATS client's own reconnect budget (-1:
    # forever;
    # when a finite budget is spent the process exits with status 75 for its supervisor to
    # restart it) and how long a failing loop may go before /health says "degraded".
    nats_reconnect_attempts: int = Field(default=-1, ge=-1)
    nats_reconnect_wait_seconds: float = Field(default=2.0, gt=0)
    loop_stuck_seconds: float = Field(default=30.0, gt=0)
    ops_token: str | None = Field(
        default=None,
        description="A bearer token that reads /health in full (positions, lag, loops, pool "
        "use), for a metrics scraper or a dashboard with no user; a signed-in reader's token "
        "does too. Without either, /health says its status and codes alone. Once it is set, "
        "/metrics (the API's and the relay's and projector's) answers this token alone.",
    )
    follower_silent_seconds: float = Field(
        default=30.0,
        gt=0,
        description="How long the relay or the projector may go without its heartbeat "
        "(services/infrastructure/heartbeats.py) before every process's /health says "
        "degraded, FOLLOWER_SILENT: killed, or its loop hung, whether or not events arrive.",
    )

    # Medication: the missed-dose sweep (services/runtime/missed_sweep.py).
    missed_dose_interval_seconds: float = Field(
        default=3600.0, gt=0, description="How often passed dosing days are checked."
    )
    missed_dose_hold_after: int = Field(
        default=3, ge=1, description="Consecutive missed dosing days that place a dose hold."
    )
    missed_dose_charting_grace_days: int = Field(
        default=1,
        ge=0,
        le=7,
        description="Program days after an order entered late (start before the day it was "
        "entered) before the sweep judges its earlier days, charted from paper; 0: at once.",
    )
    # Consent: how far ahead a consent's expiresAt may lie (services/consent/record.py).
    consent_term_max_days: int = Field(
        default=3653,
        ge=1,
        le=36525,
        description="Days ahead a consent's expiresAt may lie (ten years): a later date is "
        "refused as a typo (2199 for 2029); a consent meant to last gives an expiryEvent.",
    )
    program_time_zone: ZoneInfo = Field(
        default=ZoneInfo("UTC"),
        description="IANA zone of the program's day: the dosing day (per-day limits, slots, "
        "missed days) and the alert rules' days (orders in force, days of maintenance).",
    )

    # Clinical rule tables a program changes (services/runtime/program.py): [alerts] thresholds;
    # [medication] formulary, interaction rules, take-home caps (services/medication/program.py).
    program_file: Path | None = Field(
        default=None, description="TOML program file; unset means the default rule tables."
    )

    @property
    def disclosure_root(self) -> str:
        """What ``carecoord disclose`` publishes under, before the recipient's id
        (``<this>.<recipient>.<context>.<Type>.<client>``): ``disclosed`` under the default
        subject root, as ever, and ``disclosed-<subject_root>`` under another. Two platforms
        on one NATS server have roots of their own (their streams' subjects may not overlap),
        so a recipient of one id is sent each platform's disclosures on subjects of its own:
        ``disclosed.<root>`` would not do, the default platform's recipient of that root's id
        subscribing to ``disclosed.<root>.>``. Outside the stream's ``<subject_root>.>``: a
        disclosure is no care event."""
        if self.subject_root == DEFAULT_SUBJECT_ROOT:
            return DISCLOSED
        return f"{DISCLOSED}-{self.subject_root}"

    @field_validator("*", mode="before")
    @classmethod
    def _no_nul(cls, value: object) -> object:
        """A NUL byte (only a .env can hold one) is refused at start, never quoted: in a path
        it ended the command in a traceback, and libpq read a URL only up to it."""
        if isinstance(value, str) and "\0" in value:
            raise ValueError("holds a NUL byte (\\0); remove it from .env")
        return value

    @field_validator(
        "database_url",
        "read_database_url",
        "nats_url",
        "jwt_secret",
        "ops_token",
        "cipher_key",
        "chain_anchor_file",
        "program_file",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        """An empty value (a blank line in .env, a compose file's variable left unset) is
        no value, as its description says of unset: ``DATABASE_URL=`` reached whatever
        PostgreSQL libpq's defaults found instead of the embedded one, ``NATS_URL=`` spent
        30 s on no URL and exited 75, ``CARECOORD_PROGRAM_FILE=`` read the folder ``.``."""
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("data_dir", mode="before")
    @classmethod
    def _default_data_dir(cls, value: object) -> object:
        """Empty is unset (``.carecoord``): it was the working directory itself, which then
        held the servers' files beside the user's own."""
        return DATA_DIR if isinstance(value, str) and not value.strip() else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_listed(cls, value: object) -> object:
        """Origins separated by commas, or a JSON list (a list given whole, as in tests)."""
        if not isinstance(value, str):
            return value
        if value.lstrip().startswith("["):
            try:
                return json.loads(value)
            except ValueError:
                raise ValueError("not a JSON list of origins") from None
        return tuple(o.strip() for o in value.split(",") if o.strip())

    @field_validator("cors_origins")
    @classmethod
    def _web_origins(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        """Each an origin as a browser sends it: a page of any site (``*``) would call the
        API with whatever token it holds, and a path or a trailing slash matches no page."""
        for origin in value:
            if not ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin[:100]!r} is no web origin: write each as scheme://host[:port],"
                    " e.g. https://clinic.example.org, with no path (no * either)"
                )
        return value

    @field_validator("host")
    @classmethod
    def _interface(cls, value: str) -> str:
        refused = interface_refusal(value)
        if refused is not None:
            raise ValueError(refused)
        return value

    @field_validator("database_url", "read_database_url")
    @classmethod
    def _connection_string(cls, value: str | None) -> str | None:
        """A URL libpq cannot read is refused at start, never quoted (it may hold a
        password): each command failed at its first connection, as a traceback."""
        if value is None:
            return value
        try:
            params = conninfo_to_dict(value)
        except psycopg.ProgrammingError:
            raise ValueError(
                "not a PostgreSQL connection string (postgresql://user@host:port/database)"
            ) from None
        try:  # read by psycopg before libpq: a traceback at the first connection
            timeout_from_conninfo(params)
        except psycopg.ProgrammingError:
            raise ValueError("its connect_timeout is not a whole number of seconds") from None
        return value

    @field_validator("nats_url")
    @classmethod
    def _nats_servers(cls, value: str | None) -> str | None:
        """A URL no NATS server can answer at is refused at start, its credentials hidden:
        every command tried it for 30 s, then exited 75 for a restart that could not help."""
        problem = None if value is None else nats_url_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value

    @field_validator("jwt_secret")
    @classmethod
    def _hs256_key(cls, value: str | None) -> str | None:
        """A secret too short for HS256 is refused at start, never quoted: it signed and
        checked tokens, the JWT library warning of it on each, and a guessed one forges any
        user's."""
        if value is not None and len(value.encode()) < HS256_KEY_BYTES:
            raise ValueError(
                f"under the {HS256_KEY_BYTES} bytes HS256 needs; make one with python -c"
                ' "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return value

    @field_validator("ops_token")
    @classmethod
    def _ops_token(cls, value: str | None) -> str | None:
        """Refused at start, never quoted, when short enough to guess or not one header
        word: a token with a space or a control character could never be sent."""
        if value is not None and (
            len(value.encode()) < HS256_KEY_BYTES or not value.isprintable() or " " in value
        ):
            raise ValueError(
                f"at least {HS256_KEY_BYTES} bytes of printable text without spaces; make one"
                ' with python -c "import secrets; print(secrets.token_urlsafe(48))"'
            )
        return value

    @field_validator("subject_root")
    @classmethod
    def _own_subjects(cls, value: str) -> str:
        """A root whose first token is another subject space's is refused at start: the
        stream's ``<root>.>`` took in those subjects (``disclosed`` held every disclosure of
        the default root, ``disclosed-north`` those of the root ``north``)."""
        first = value.partition(".")[0]
        taken = DISCLOSED if first.startswith(f"{DISCLOSED}-") else first
        if taken in TAKEN_FIRST_TOKENS:
            raise ValueError(
                f"a root may not begin with {first}: {TAKEN_FIRST_TOKENS[taken]}, which the"
                " stream of this root would take in; choose another first token"
            )
        return value

    @field_validator("cipher_key")
    @classmethod
    def _aes_key(cls, value: str | None) -> str | None:
        """A key the store's cipher cannot take is refused at start, never quoted: a hex
        string started the command, which then failed at the store's first use."""
        if value:  # empty: unset, as the store reads it
            try:
                size = len(base64.b64decode(value.encode()))
            except (binascii.Error, UnicodeError):
                size = 0
            if size not in AES_KEY_SIZES:
                raise ValueError(
                    "not a base64 AES key of 16, 24 or 32 bytes; make one with python -c "
                    '"import base64, secrets; print(base64.b64encode(secrets.token_bytes(32))'
                    '.decode())"'
                )
        return value

    @field_validator("program_time_zone", mode="before")
    @classmethod
    def _zone(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(
                    f"unknown time zone {value!r}; give an IANA name such as America/New_York"
                ) from None
        return value
