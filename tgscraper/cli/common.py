"""What both command-line tools share: --version text, logging, the error exit, and
the options that point them at a Telegram server."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from tgscraper import __version__
from tgscraper.config import ConfigError, parse_dc_address

#: exit status for a configuration or usage problem (argparse uses 2 as well)
EXIT_CONFIG = 2
#: exit status for a runtime failure (e.g. the port cannot be bound)
EXIT_FAILURE = 1
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
VERSION_TEXT = f"%(prog)s {__version__}"


def fail(prog: str, message: str, status: int = EXIT_CONFIG) -> int:
    """Print `message` as the tool's error on stderr and return the exit status."""
    print(f"{prog}: error: {message}", file=sys.stderr)
    return status


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


def _dc_address(text: str) -> tuple[str, int]:
    try:
        return parse_dc_address(text)
    except ConfigError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_telegram_server_options(parser: argparse.ArgumentParser) -> None:
    """--server-key and --telegram-dc: for private Telegram servers and test servers."""
    parser.add_argument(
        "--server-key",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="also trust this Telegram server RSA public key (PEM); repeatable; for private "
        "Telegram servers and test servers",
    )
    parser.add_argument(
        "--telegram-dc",
        type=_dc_address,
        metavar="HOST:PORT",
        help="where a new login first connects instead of Telegram's DC 2 (private Telegram "
        "servers and test servers; the other DCs come from that server's configuration)",
    )
