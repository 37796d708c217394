"""tgsc-auth: log an account in, creating sessions/NAME.session for tgsc-server.

    tgsc-auth NAME [--qr | --phone] [--force]   log in (interactive)
    tgsc-auth --list                             the accounts and who they are
    tgsc-auth --logout NAME                      end the session, delete the file

``get_parser()`` also feeds tgsc-auth(1). The login flows live in
``tgscraper.telegram.login`` (shared with the QR login API); this module asks the
questions and draws the QR code. A login writes the session file only once it is
complete: Ctrl-C or any failure leaves no file behind (exit 130 / 1).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tgscraper.accounts import check_account_name, session_path
from tgscraper.cli.common import (
    EXIT_CONFIG,
    VERSION_TEXT,
    add_telegram_server_options,
    fail,
    setup_logging,
)
from tgscraper.cli.prompts import is_interactive, restored_terminal
from tgscraper.config import (
    DEFAULT_DATA_DIR,
    ENV_API_HASH,
    ENV_API_ID,
    ConfigError,
    parse_credentials,
    prepare_data_dir,
    read_environment,
)

if TYPE_CHECKING:
    from tgscraper.telegram.login.session_files import SessionData

PROG = "tgsc-auth"
EXIT_INTERRUPTED = 130
NO_TERMINAL = (
    "logging in needs a person at a terminal, and standard input is not one; "
    "with Docker use 'docker run -it ...' or 'docker exec -it ...'."
)

EPILOG = f"""\
environment (also read from .env in the current directory, then in the data directory):
  {ENV_API_ID} and {ENV_API_HASH}: Telegram API credentials (https://my.telegram.org)

exit status: 0 done, 1 the login (or logout) failed or was declined, 2 a usage or
configuration problem, 130 interrupted (Ctrl-C); no session file is left half-written.
"""


def _account_name(text: str) -> str:
    try:
        return check_account_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Log a Telegram account in for tgsc-server: the session is saved as "
        "DIR/sessions/NAME.session, and HTTP clients then send 'X-Telegram-Username: NAME'. "
        "Log in by scanning a QR code with Telegram on your phone, or with your phone "
        "number, the code Telegram sends and your two-step verification password.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "name",
        nargs="?",
        type=_account_name,
        metavar="NAME",
        help="account name to log in: 1 to 64 letters, digits, '_', '.' or '-'",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        metavar="DIR",
        help="the tgsc-server data directory (default: ./data)",
    )
    method = parser.add_mutually_exclusive_group()
    method.add_argument("--qr", action="store_true", help="log in by QR code (no question)")
    method.add_argument(
        "--phone", action="store_true", help="log in with phone number and code (no question)"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing session without asking"
    )
    actions = parser.add_mutually_exclusive_group()
    actions.add_argument(
        "--list", action="store_true", help="list the accounts with their Telegram id and name"
    )
    actions.add_argument(
        "--logout",
        type=_account_name,
        metavar="NAME",
        help="log NAME out at Telegram (auth.logOut) and delete its session",
    )
    add_telegram_server_options(parser)
    parser.add_argument("--version", action="version", version=VERSION_TEXT)
    return parser


@dataclass(frozen=True)
class AuthSettings:
    """What every action needs: where, and how to reach Telegram."""

    data_dir: Path
    api_id: int
    api_hash: str
    telegram_dc: tuple[str, int] | None


def _settings(args: argparse.Namespace) -> AuthSettings:
    """From the command line and the environment; ConfigError if unusable."""
    data_dir = args.data_dir.expanduser().absolute()
    api_id, api_hash = parse_credentials(read_environment(data_dir))
    if args.server_key:
        from tgscraper.telegram.server_keys import trust_server_keys

        trust_server_keys(args.server_key)
    prepare_data_dir(data_dir)
    return AuthSettings(data_dir, api_id, api_hash, args.telegram_dc)


def _check_usage(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.list or args.logout:
        if args.name or args.qr or args.phone or args.force:
            action = "--list" if args.list else "--logout"
            parser.error(f"{action} takes no NAME to log in, --qr, --phone or --force")
    elif not args.name:
        parser.error("give the NAME of the account to log in (or --list, or --logout NAME)")


def main(argv: list[str] | None = None) -> int:
    parser = get_parser()
    args = parser.parse_args(argv)
    _check_usage(parser, args)
    setup_logging("WARNING")
    logging.getLogger("pyrogram").setLevel(logging.CRITICAL)  # we say what went wrong
    login = not (args.list or args.logout)
    if login and not is_interactive():
        return fail(PROG, NO_TERMINAL, EXIT_CONFIG)
    try:
        settings = _settings(args)
    except ConfigError as exc:
        return fail(PROG, str(exc), EXIT_CONFIG)
    from tgscraper.cli import auth_actions  # imports pyrogram (~1 s): not for --help

    session_before = _stored_session(settings, args.name) if login else None
    with restored_terminal():
        try:
            if args.list:
                return asyncio.run(auth_actions.list_accounts(settings))
            if args.logout:
                return asyncio.run(auth_actions.log_out_account(settings, args.logout))
            return asyncio.run(auth_actions.log_in(settings, args.name, args))
        except KeyboardInterrupt:
            if login:
                print(_interrupted(settings, args.name, session_before), file=sys.stderr)
            return EXIT_INTERRUPTED


def _stored_session(settings: AuthSettings, name: str) -> SessionData | None:
    from tgscraper.telegram.login.session_files import read_session

    return read_session(session_path(settings.data_dir, name))


def _interrupted(settings: AuthSettings, name: str, before: SessionData | None) -> str:
    """What Ctrl-C did: a save that had begun ran to its end (its key kept), so say
    whether a new session is there."""
    after = _stored_session(settings, name)
    if after is not None and after != before:
        return (
            f"\nInterrupted, but the login had completed: the session of '{name}' was saved "
            f"({session_path(settings.data_dir, name)})."
        )
    return f"\nCancelled: no session was written for '{name}'."


if __name__ == "__main__":
    with contextlib.suppress(BrokenPipeError):
        raise SystemExit(main())
