"""`python -m tests.fakegram serve|public-key|roundtrip`: fakegram outside pytest.

serve: start the DCs with the demo world (or a JSON world file), write a session file per
account into DATA_DIR/sessions/, the fake's credentials into DATA_DIR/.env and its RSA
public key into DATA_DIR/fakegram.pem (so `tgsc-server --data-dir DATA_DIR --server-key
DATA_DIR/fakegram.pem` runs against it with no other setup), print ONE JSON line on
stdout (ports, api_id/api_hash, accounts, dialogs) and serve until SIGTERM or SIGINT.
The control API listens on --control-port. public-key: print the fake's RSA public key
(PEM) so another process can trust it (e.g. `tgsc-server --server-key FILE`).
roundtrip: measure a getHistory round trip against the fake (see roundtrip.py).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from . import rsa_key


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tests.fakegram", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the loopback Telegram with a world")
    serve.add_argument("--data-dir", type=Path, required=True, help="sessions go to DIR/sessions")
    serve.add_argument("--world", type=Path, help="JSON world file (default: the demo world)")
    serve.add_argument("--port", type=int, default=0, help="DC 2 port (default: any free)")
    serve.add_argument("--dc4-port", type=int, default=0, help="DC 4 port (default: any free)")
    serve.add_argument("--control-port", type=int, default=0, help="control API port")
    serve.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    commands.add_parser("public-key", help="print the fake's RSA public key as PEM")
    roundtrip = commands.add_parser("roundtrip", help="time getHistory round trips (JSON lines)")
    roundtrip.add_argument("--calls", type=int, default=300, help="calls per page size")
    return parser


def load_world(path: Path | None):
    if path is None:
        from .world.demo import build_demo_world

        world = build_demo_world()
    else:
        from .world.worldfile import load_world as load

        world = load(path)
    return getattr(world, "world", world)  # a WorldBuilder or a World


async def serve(args: argparse.Namespace) -> None:
    from .control import account_name, describe_world, start_control
    from .server import FakeTelegram

    world = load_world(args.world)
    server = FakeTelegram(world, ports={2: args.port, 4: args.dc4_port})
    await server.start()
    runner, control_port = await start_control(server, args.control_port)
    sessions = args.data_dir / "sessions"
    sessions.mkdir(parents=True, exist_ok=True, mode=0o700)
    for account in world.accounts():
        server.write_session(sessions, account_name(account), account.id)
    env_file, key_file = args.data_dir / ".env", args.data_dir / "fakegram.pem"
    env_file.write_text(f"TELEGRAM_API_ID={server.api_id}\nTELEGRAM_API_HASH={server.api_hash}\n")
    key_file.write_text(rsa_key.public_key_pem())
    line = {
        "port": server.port,
        "dc_ports": server.dc_ports,
        "control_port": control_port,
        "api_id": server.api_id,
        "api_hash": server.api_hash,
        "env_file": str(env_file),
        "server_key": str(key_file),
        **describe_world(world),
    }
    print(json.dumps(line), flush=True)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await stop.wait()
    await runner.cleanup()
    await server.stop()


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    if args.command == "public-key":
        sys.stdout.write(rsa_key.public_key_pem())
        return 0
    if args.command == "roundtrip":
        from .roundtrip import measure, print_figures

        print_figures(asyncio.run(measure(args.calls)))
        return 0
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        stream=sys.stderr,
        format="%(asctime)s %(name)s %(levelname)s %(message)s",
    )
    from .world.worldfile import WorldFileError

    try:
        asyncio.run(serve(args))
    except (OSError, WorldFileError) as e:
        print(f"fakegram: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
