"""What both command-line tools share: --version text, logging, the error exit."""

from __future__ import annotations

import logging
import sys

from tgscraper import __version__

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
