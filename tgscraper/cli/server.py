"""tgsc-server: run the tgscraper HTTP server.

``get_parser()`` is also what argparse-manpage renders as tgsc-server(1).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import os
import signal
from pathlib import Path

from tgscraper import __version__
from tgscraper.cli.common import (
    EXIT_FAILURE,
    LOG_LEVELS,
    VERSION_TEXT,
    add_telegram_server_options,
    fail,
    setup_logging,
)
from tgscraper.config import (
    DEFAULT_DATA_DIR,
    DEFAULT_HOST,
    DEFAULT_PORT,
    ENV_API_HASH,
    ENV_API_ID,
    ENV_API_KEY,
    Config,
    ConfigError,
    check_bind_safety,
    parse_api_keys,
    parse_credentials,
    prepare_data_dir,
    read_environment,
)
from tgscraper.settings import SettingsError, SettingsStore

# The app and pyrogram are imported only once the configuration checks out, so --help,
# --version and configuration errors answer at once (pyrogram takes ~1 s to import).

PROG = "tgsc-server"
#: seconds running requests get to finish on SIGTERM/SIGINT (SSE streams end at once)
SHUTDOWN_TIMEOUT_S = 10.0
log = logging.getLogger("tgscraper.server")

EPILOG = f"""\
environment (also read from .env in the current directory, then in the data directory):
  {ENV_API_ID} and {ENV_API_HASH}: Telegram API credentials (https://my.telegram.org)
  {ENV_API_KEY}: API key(s), comma-separated; needed for a non-loopback --host

exit status: 0 after a clean shutdown (SIGTERM, SIGINT), 1 if the address cannot be
bound, 2 for a configuration problem (credentials, settings, options).
"""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"invalid port {text!r}: use 1..65535")
    return port


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Serve your Telegram chats over HTTP: history (SSE), search and media, "
        "read through your own account and cached in SQLite.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        metavar="DIR",
        help="where sessions, caches, media and settings.yaml live (default: ./data)",
    )
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default: 127.0.0.1); any other than loopback "
        f"needs {ENV_API_KEY} or --insecure-no-api-key",
    )
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help="TCP port (default: 8000)")
    parser.add_argument(
        "--settings",
        type=Path,
        metavar="FILE",
        help="import FILE as the data directory's settings.yaml (validated first; an "
        "invalid file is refused and the current settings are kept)",
    )
    parser.add_argument(
        "--log-level",
        type=str.upper,
        choices=LOG_LEVELS,
        default="INFO",
        help="logging level (default: INFO)",
    )
    add_telegram_server_options(parser)
    parser.add_argument(
        "--insecure-no-api-key",
        action="store_true",
        help="allow a non-loopback --host without an API key (only on a trusted network)",
    )
    parser.add_argument("--version", action="version", version=VERSION_TEXT)
    return parser


def load_config(args: argparse.Namespace) -> Config:
    """Config from the parsed command line and the environment (ConfigError if unusable)."""
    data_dir = args.data_dir.expanduser().absolute()
    env = read_environment(data_dir)
    api_id, api_hash = parse_credentials(env)
    return Config(
        data_dir=data_dir,
        api_id=api_id,
        api_hash=api_hash,
        host=args.host,
        port=args.port,
        api_keys=parse_api_keys(env.get(ENV_API_KEY)),
        log_level=args.log_level,
        insecure_no_api_key=args.insecure_no_api_key,
        server_keys=tuple(args.server_key),
        telegram_dc=args.telegram_dc,
    )


def prepare(args: argparse.Namespace) -> tuple[Config, SettingsStore]:
    """Everything checked before listening; raises ConfigError or SettingsError."""
    config = load_config(args)
    check_bind_safety(config)
    prepare_data_dir(config.data_dir)
    if args.settings is not None:
        SettingsStore.import_template(args.settings, config.data_dir)
        log.info("Imported settings from %s", args.settings)
    store = SettingsStore.open(config.data_dir)
    if config.server_keys:
        from tgscraper.telegram.server_keys import trust_server_keys

        trust_server_keys(config.server_keys)
    return config, store


def handle_stop_signals() -> None:
    """SIGTERM/SIGINT: the first starts the graceful shutdown (aiohttp's GracefulExit); a
    second one while it runs exits at once. Left to aiohttp, a second signal would
    interrupt the cleanup half-way and leave database threads that never let the process
    exit. Called on the running loop once the server listens (replacing aiohttp's
    handlers)."""
    from aiohttp import web

    loop = asyncio.get_running_loop()

    def exit_now(signum: int) -> None:
        name = signal.Signals(signum).name
        log.warning("%s again while shutting down: exiting now", name)
        logging.shutdown()
        os._exit(128 + signum)

    def shut_down(signum: int) -> None:
        for stop_signal in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(stop_signal, exit_now, stop_signal)
        log.info("%s: shutting down (send it again to exit at once)", signal.Signals(signum).name)
        raise web.GracefulExit()

    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop_signal, shut_down, stop_signal)


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    setup_logging(args.log_level)
    try:
        config, store = prepare(args)
    except (ConfigError, SettingsError) as exc:
        return fail(PROG, str(exc))
    from aiohttp import web

    from tgscraper.app import create_app

    app = create_app(config, settings_store=store)
    # What is imported by now (pyrogram's TL classes: ~135k objects) lives as long as the
    # process; leave it out of full garbage collections, which otherwise stall the event
    # loop ~50 ms each (bench/cache_stream.py).
    gc.collect()
    gc.freeze()
    base_url = f"http://{config.host}:{config.port}"

    def announce(_: str) -> None:
        handle_stop_signals()
        log.info(
            "tgscraper %s listening on %s (API docs: %s/docs)", __version__, base_url, base_url
        )

    try:
        web.run_app(
            app,
            host=config.host,
            port=config.port,
            shutdown_timeout=SHUTDOWN_TIMEOUT_S,
            print=announce,
            access_log=logging.getLogger("tgscraper.access"),
        )
    except OSError as exc:
        return fail(PROG, f"cannot listen on {config.host}:{config.port}: {exc}", EXIT_FAILURE)
    log.info("tgscraper stopped")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
