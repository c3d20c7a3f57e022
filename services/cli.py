"""The ``carecoord`` command: run the platform (whole or by part), tail events, issue tokens,
export the GraphQL schema."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import sys
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import uvicorn
from faststream.nats import NatsBroker
from nats.js.api import DeliverPolicy

from carecoord.events import Role
from carecoord.projections.models import READ_MODELS
from carecoord.projections.rebuild import rebuild
from carecoord.services import demo, logs, workers
from carecoord.services.bootstrap import Servers, resolve_servers, running
from carecoord.services.disclosure import Forwarder
from carecoord.services.identity import issue_token
from carecoord.services.relay import POSITION_HEADER
from carecoord.services.settings import Settings


def arguments() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="carecoord", description=__doc__)
    parser.add_argument("--log-level", default="INFO")
    commands = parser.add_subparsers(dest="command")
    up = commands.add_parser("up", help="API, relay and projector in one process (default)")
    up.add_argument("--demo", action="store_true", help="load example clients")
    api = commands.add_parser("api", help="the GraphQL API only")
    api.add_argument(
        "--workers", type=int, default=1, help="API processes sharing the port (default 1)"
    )
    commands.add_parser("relay", help="the outbox relay only")
    commands.add_parser("project", help="the projector only")
    tail = commands.add_parser("tail", help="print events from the broker as they arrive")
    tail.add_argument("--subject", default=None, help="subject filter (default: all care events)")
    tail.add_argument("--new", action="store_true", help="only events published from now on")
    disclose = commands.add_parser(
        "disclose", help="forward consented events to an outside recipient (docs/access.md)"
    )
    disclose.add_argument("--recipient", required=True, help="the consent's organization id")
    disclose.add_argument("--name", default="", help="the recipient's name, for the record")
    disclose.add_argument("--from-start", action="store_true", help="also events before now")
    rebuild_cmd = commands.add_parser("rebuild", help="rebuild a read model from the store")
    rebuild_cmd.add_argument("model", choices=[m.NAME for m in READ_MODELS])
    token = commands.add_parser("token", help="issue a development token")
    token.add_argument("--user", required=True)
    token.add_argument(
        "--role",
        required=True,
        action="append",
        choices=[r.value for r in Role],
        help="repeat for a user who holds several roles; a client's --user is their client id",
    )
    token.add_argument("--hours", type=float, default=12.0, help="lifetime (default 12)")
    token.add_argument("--program", default=None, help="a program admin's one program")
    schema = commands.add_parser("schema", help="write the GraphQL SDL (graphql/schema.graphql)")
    schema.add_argument("--output", type=Path, default=None, help="another file, or - for stdout")
    schema.add_argument("--check", action="store_true", help="exit 1 if the file is out of date")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = arguments().parse_args(argv)
    logs.configure(args.log_level)
    if args.command == "schema":
        sys.exit(export_schema(args.output, check=args.check))
    settings = Settings()
    command = args.command or "up"
    if command == "token":
        roles = [Role(r) for r in args.role]
        lifetime = timedelta(hours=args.hours)
        print(issue_token(settings, args.user, *roles, lifetime=lifetime, program=args.program))
        return
    servers = resolve_servers(settings)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            if command == "tail":
                asyncio.run(tail_events(settings, servers, args.subject, new_only=args.new))
            elif command == "disclose":
                asyncio.run(forward_disclosures(settings, servers, args))
            elif command == "rebuild":
                asyncio.run(rebuild_model(settings, servers, args.model))
            elif command == "api" and args.workers > 1 and not workers.is_sibling():
                argv_now = sys.argv[1:] if argv is None else list(argv)
                with workers.siblings(args.workers - 1, argv_now, servers):
                    asyncio.run(serve(settings, servers, command, demo_wanted=False))
            else:
                demo_wanted = command == "up" and args.demo
                asyncio.run(serve(settings, servers, command, demo_wanted=demo_wanted))
    finally:
        servers.stop()


def export_schema(output: Path | None, *, check: bool) -> int:
    """Write (or with ``check``, compare) the SDL; the exit status says whether it was current."""
    from carecoord.graphql import export  # noqa: PLC0415  (API-only dependency)

    if output == Path("-"):
        print(export.sdl(), end="")
        return 0
    target = output or export.SCHEMA_FILE
    if check:
        current = target.exists() and target.read_text(encoding="utf-8") == export.sdl()
        print(f"{target}: {'current' if current else 'out of date; run ' + export.REGENERATE}")
        return 0 if current else 1
    print(f"{target}: {'written' if export.write(target) else 'unchanged'}")
    return 0


async def serve(settings: Settings, servers: Servers, part: str, *, demo_wanted: bool) -> None:
    from carecoord.graphql.app import create_app  # noqa: PLC0415  (API-only dependency)

    api = part in ("up", "api")
    async with running(
        settings, servers, relay=part in ("up", "relay"), project=part in ("up", "project")
    ) as platform:
        if demo_wanted:
            await asyncio.to_thread(demo.load, platform.bus)
            print_demo_tokens(settings)
        if not api:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
            return
        config = uvicorn.Config(
            create_app(platform),
            host=settings.host,
            port=settings.port,
            log_config=None,
            ws="websockets-sansio",
            lifespan="off",
        )
        sock = workers.listening_socket(settings.host, settings.port)
        if not workers.is_sibling():
            print(f"carecoord GraphQL: http://{settings.host}:{settings.port}/graphql", flush=True)
        await uvicorn.Server(config).serve(sockets=[sock])  # returns on SIGINT/SIGTERM


async def forward_disclosures(
    settings: Settings, servers: Servers, args: argparse.Namespace
) -> None:
    async with running(settings, servers, relay=False, project=False) as platform:
        forwarder = Forwarder(platform, args.recipient, name=args.name, from_start=args.from_start)
        print(f"disclosing to {forwarder.subject_prefix}.> as {forwarder.consumer}", flush=True)
        await forwarder.run()


async def rebuild_model(settings: Settings, servers: Servers, name: str) -> None:
    model = next(m for m in READ_MODELS if name == m.NAME)
    shown = [-1]

    def show(at: int, of: int) -> None:
        percent = 100 * at // max(of, 1)
        if percent != shown[0]:
            shown[0] = percent
            print(f"\rrebuilding {name}: {percent:3d}% ({at}/{of})", end="", file=sys.stderr)

    async with running(settings, servers, relay=False, project=False) as platform:
        done = await rebuild(platform.store, platform.pool, model, on_progress=show)
    print(
        f"\n{name}: generation {done.generation}, {done.events} events in "
        f"{done.seconds:.1f} s ({done.rate:,.0f}/s)"
    )


def print_demo_tokens(settings: Settings) -> None:
    print('Demo tokens (GraphiQL headers: {"Authorization": "Bearer <token>"}):')
    for actor in (demo.PRESCRIBER, demo.NURSE, demo.ADMIN):
        print(f"  {actor.role.value:15} {issue_token(settings, actor.id, actor.role)}")
    print("Demo clients:", ", ".join(str(demo.demo_client_id(c[0])) for c in demo.CLIENTS))


async def tail_events(
    settings: Settings, servers: Servers, subject: str | None, *, new_only: bool
) -> None:
    """An ephemeral consumer on the care stream: each event, once, as one JSON line."""
    broker = NatsBroker(servers.nats_url, logger=None)
    await broker.connect()
    js = broker.connection.jetstream()
    sub = await js.subscribe(
        subject or f"{settings.subject_root}.>",
        stream=settings.stream_name,
        ordered_consumer=True,
        deliver_policy=DeliverPolicy.NEW if new_only else DeliverPolicy.ALL,
    )
    try:
        async for msg in sub.messages:
            body = json.loads(msg.data)
            position = (msg.headers or {}).get(POSITION_HEADER)
            print(json.dumps({"subject": msg.subject, "position": position, **body}), flush=True)
    finally:
        await sub.unsubscribe()
        await broker.stop()


if __name__ == "__main__":
    main(sys.argv[1:])
