"""tgsc-auth: log an account in, creating sessions/NAME.session for tgsc-server.

This is the command-line skeleton (``get_parser()`` also feeds tgsc-auth(1)); the login
flows (QR code, phone code, 2FA) come with the login work.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from tgscraper.accounts import check_account_name, session_path
from tgscraper.cli.common import EXIT_FAILURE, VERSION_TEXT, fail
from tgscraper.config import DEFAULT_DATA_DIR

PROG = "tgsc-auth"


def _account_name(text: str) -> str:
    try:
        return check_account_name(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def get_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Log a Telegram account in for tgsc-server: the session is saved as "
        "DIR/sessions/NAME.session, and HTTP clients then send 'X-Telegram-Username: NAME'.",
    )
    parser.add_argument(
        "name",
        type=_account_name,
        metavar="NAME",
        help="account name: 1 to 64 letters, digits, '_', '.' or '-'",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=DEFAULT_DATA_DIR,
        metavar="DIR",
        help="the tgsc-server data directory (default: ./data)",
    )
    parser.add_argument("--version", action="version", version=VERSION_TEXT)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = get_parser().parse_args(argv)
    target = session_path(args.data_dir, args.name)
    return fail(
        PROG,
        f"logging in is not available in this version yet; {target} was not created.",
        EXIT_FAILURE,
    )


if __name__ == "__main__":
    raise SystemExit(main())
