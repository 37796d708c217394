"""Server configuration: the environment (and .env files) plus the command line.

Exactly three sources configure tgscraper (README "Configuration"):

* the environment, or a ``.env`` file (current directory first, then the data dir):
  ``TELEGRAM_API_ID``, ``TELEGRAM_API_HASH``, ``TGSC_API_KEY``; a real environment
  variable wins over both files;
* the ``tgsc-server`` command line (see ``tgscraper.cli.server``);
* ``{data_dir}/settings.yaml`` (see ``tgscraper.settings``), the only part that can
  change while the server runs.

Everything here is plain and synchronous: it runs once, before the event loop.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dotenv import dotenv_values

from tgscraper.accounts import SESSION_SUFFIX, sessions_dir

ENV_API_ID = "TELEGRAM_API_ID"
ENV_API_HASH = "TELEGRAM_API_HASH"
ENV_API_KEY = "TGSC_API_KEY"
ENV_VARIABLES = (ENV_API_ID, ENV_API_HASH, ENV_API_KEY)

DEFAULT_DATA_DIR = Path("data")
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
CHANNELS_DIR = "channels"
#: seconds a Telegram client may take to start before its request answers 502
TELEGRAM_START_TIMEOUT_S = 30.0

CREDENTIALS_HELP = (
    "Get an api_id and api_hash at https://my.telegram.org (API development tools), then "
    f"either export {ENV_API_ID}=... and {ENV_API_HASH}=... or put those two lines in a .env "
    "file in the current directory or in the data directory."
)


class ConfigError(Exception):
    """A configuration problem a person must fix; the CLI prints it and exits with status 2."""


@dataclass(frozen=True)
class Config:
    """Everything the server needs to know at startup (settings.yaml aside)."""

    data_dir: Path
    api_id: int
    api_hash: str
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    #: accepted API keys; empty means no key is required
    api_keys: tuple[str, ...] = ()
    log_level: str = "INFO"
    #: allow a non-loopback --host without an API key (--insecure-no-api-key)
    insecure_no_api_key: bool = False
    #: extra Telegram server RSA public keys (PEM files) to trust (--server-key)
    server_keys: tuple[Path, ...] = ()
    #: (host, port) where new logins first connect instead of Telegram's DC 2
    #: (--telegram-dc; private Telegram servers and test servers). None: Telegram.
    telegram_dc: tuple[str, int] | None = None
    #: not a command-line option (tests shorten it): see TELEGRAM_START_TIMEOUT_S
    telegram_start_timeout_s: float = TELEGRAM_START_TIMEOUT_S


def read_environment(
    data_dir: Path,
    environ: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, str]:
    """Our variables from, in increasing priority: data_dir/.env, ./.env, the environment
    (ConfigError naming a .env file that cannot be read as UTF-8 text)."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    found: dict[str, str] = {}
    for env_file in (data_dir / ".env", cwd / ".env"):
        if env_file.is_file():
            try:
                values = dotenv_values(env_file, encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise ConfigError(f"Cannot read {env_file}: {exc}") from exc
            found.update({k: v for k, v in values.items() if k in ENV_VARIABLES and v})
    found.update({k: environ[k] for k in ENV_VARIABLES if environ.get(k)})
    return found


def parse_credentials(env: Mapping[str, str]) -> tuple[int, str]:
    """(api_id, api_hash) from the variables, or ConfigError explaining how to fix them."""
    raw_id = env.get(ENV_API_ID, "").strip()
    api_hash = env.get(ENV_API_HASH, "").strip()
    missing = [
        name for name, value in ((ENV_API_ID, raw_id), (ENV_API_HASH, api_hash)) if not value
    ]
    if missing:
        raise ConfigError(
            f"Missing Telegram API credentials: {' and '.join(missing)} not set. {CREDENTIALS_HELP}"
        )
    try:
        api_id = int(raw_id)
    except ValueError:
        api_id = 0
    if api_id <= 0:
        raise ConfigError(
            f"Invalid {ENV_API_ID} {raw_id!r}: it must be the positive integer shown as "
            "'App api_id' at https://my.telegram.org."
        )
    return api_id, api_hash


def parse_api_keys(value: str | None) -> tuple[str, ...]:
    """TGSC_API_KEY: one or more keys separated by commas (blanks around them ignored)."""
    if not value:
        return ()
    return tuple(key.strip() for key in value.split(",") if key.strip())


def parse_dc_address(text: str) -> tuple[str, int]:
    """--telegram-dc HOST:PORT ("[::1]:443" for IPv6) -> (host, port), or ConfigError."""
    host, separator, port_text = text.strip().rpartition(":")
    host = host.strip("[]")
    port = int(port_text) if port_text.isdigit() else 0
    if not separator or not host or not 0 < port < 65536:
        raise ConfigError(
            f"Invalid Telegram DC address {text!r}: use HOST:PORT, e.g. 127.0.0.1:4430."
        )
    return host, port


def is_loopback(host: str) -> bool:
    """True for 'localhost' and loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind_safety(config: Config) -> None:
    """Refuse to listen beyond this machine with no API key, unless told it is deliberate."""
    if config.api_keys or config.insecure_no_api_key or is_loopback(config.host):
        return
    raise ConfigError(
        f"Refusing to listen on {config.host}:{config.port} without an API key: anyone who can "
        "reach this address could read your Telegram chats. Either set "
        f"{ENV_API_KEY}=<a long random secret> (clients then send 'X-API-Key: <secret>' or "
        "'Authorization: Bearer <secret>'), or pass --insecure-no-api-key if the network is "
        "already protected."
    )


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data dir layout (idempotent): sessions/ (0700, files 0600) and channels/.

    settings.yaml is created by ``tgscraper.settings.SettingsStore.open``.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        sessions = sessions_dir(data_dir)
        sessions.mkdir(mode=0o700, exist_ok=True)
        sessions.chmod(0o700)
        for session_file in sessions.glob(f"*{SESSION_SUFFIX}"):
            session_file.chmod(0o600)
        (data_dir / CHANNELS_DIR).mkdir(exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"Cannot prepare the data directory {data_dir}: {exc}") from exc
