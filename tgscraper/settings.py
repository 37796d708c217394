"""Runtime settings: ``{data_dir}/settings.yaml``, its schema, and the store that changes it.

``SettingsStore.current`` is an immutable ``Settings`` snapshot; read it per request so a
PATCH takes effect for the next request. ``await store.update(patch)`` validates a
partial change, merges it (nested objects merge key by key), writes the whole file
atomically (temp file in the same directory, fsync, rename, fsync of the directory; off
the event loop) and swaps the snapshot, all under one lock so concurrent updates never
lose each other.
"""

from __future__ import annotations

import asyncio
import os
import textwrap
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from tgscraper.schemas.common import StrictBoolean, StrictInteger, describe_errors

SETTINGS_FILE = "settings.yaml"
MEDIA_TYPES = ("photos", "videos", "voice_messages", "video_messages", "stickers", "gifs", "files")


_BETWEEN = "Must be between {min} and {max}."


def _describe(text: str) -> dict[str, str]:
    return {"description": text}


class DownloadFileTypesSchema(Schema):
    """Which media types are downloaded (when download_media is on)."""

    class Meta:
        unknown = RAISE

    photos = StrictBoolean(load_default=True, metadata=_describe("Photos"))
    videos = StrictBoolean(load_default=True, metadata=_describe("Videos"))
    voice_messages = StrictBoolean(load_default=True, metadata=_describe("Voice messages"))
    video_messages = StrictBoolean(load_default=True, metadata=_describe("Round video messages"))
    stickers = StrictBoolean(load_default=True, metadata=_describe("Stickers"))
    gifs = StrictBoolean(load_default=True, metadata=_describe("GIFs (animations)"))
    files = StrictBoolean(
        load_default=True, metadata=_describe("Every other document, audio included")
    )


class SettingsSchema(Schema):
    """Every runtime setting, its default and its rule (README "Configuration")."""

    class Meta:
        unknown = RAISE
        ordered = True

    download_media = StrictBoolean(
        load_default=True, metadata=_describe("Download media of the messages read")
    )
    max_media_size_mb = StrictInteger(
        load_default=20,
        allow_none=True,
        validate=validate.Range(min=0),
        metadata=_describe("Largest media file downloaded, in MB; 0 or null: no limit"),
    )
    telegram_batch_size = StrictInteger(
        load_default=100,
        validate=validate.Range(
            min=1,
            max=100,
            error="Must be between 1 and 100: Telegram returns at most 100 messages per request.",
        ),
        metadata=_describe("Messages asked from Telegram per request (1..100)"),
    )
    repair_media = StrictBoolean(
        load_default=True,
        metadata=_describe("Download again a media file that is missing or truncated on disk"),
    )
    download_file_types = fields.Nested(
        DownloadFileTypesSchema,
        load_default=lambda: DownloadFileTypesSchema().load({}),
        metadata=_describe("Media types to download"),
    )
    max_flood_wait_s = StrictInteger(
        load_default=300,
        validate=validate.Range(min=0),
        metadata=_describe(
            "Telegram flood waits up to this many seconds are waited out; longer ones "
            "answer 429 with Retry-After"
        ),
    )
    media_concurrency = StrictInteger(
        load_default=4,
        validate=validate.Range(min=1, max=32, error=_BETWEEN),
        metadata=_describe("Parallel background media downloads per account (1..32)"),
    )
    media_parts_in_flight = StrictInteger(
        load_default=12,
        validate=validate.Range(min=1, max=16, error=_BETWEEN),
        metadata=_describe(
            "Parts of one media file requested from Telegram at once (1..16; each 1 MiB)"
        ),
    )
    history_concurrency = StrictInteger(
        load_default=4,
        validate=validate.Range(min=1, max=16, error=_BETWEEN),
        metadata=_describe(
            "Parallel sub-range fetches when filling a large gap of history (1..16; 1 "
            "disables; above 4 mostly draws more flood waits)"
        ),
    )
    dialogs_cache_ttl_s = StrictInteger(
        load_default=60,
        validate=validate.Range(min=0),
        metadata=_describe("Seconds an account's dialog list is reused by search (0: never)"),
    )


class SettingsPatchSchema(SettingsSchema):
    """A PATCH body: any subset of the settings; nested objects may be partial too."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("partial", True)
        super().__init__(*args, **kwargs)


@dataclass(frozen=True)
class DownloadFileTypes:
    photos: bool = True
    videos: bool = True
    voice_messages: bool = True
    video_messages: bool = True
    stickers: bool = True
    gifs: bool = True
    files: bool = True

    def allows(self, media_type: str) -> bool:
        """Whether `media_type` (one of MEDIA_TYPES) is to be downloaded."""
        return bool(getattr(self, media_type, False))


@dataclass(frozen=True)
class Settings:
    """One immutable, validated snapshot of settings.yaml."""

    download_media: bool = True
    max_media_size_mb: int | None = 20
    telegram_batch_size: int = 100
    repair_media: bool = True
    download_file_types: DownloadFileTypes = field(default_factory=DownloadFileTypes)
    max_flood_wait_s: int = 300
    media_concurrency: int = 4
    media_parts_in_flight: int = 12
    history_concurrency: int = 4
    dialogs_cache_ttl_s: int = 60

    @property
    def max_media_size_bytes(self) -> int | None:
        """The size limit in bytes, or None for no limit (0 and null both mean none)."""
        if not self.max_media_size_mb:
            return None
        return self.max_media_size_mb * 1024 * 1024

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Settings:
        """Validate a complete or partial mapping (missing keys take their defaults)."""
        loaded = SettingsSchema().load(data)
        types = DownloadFileTypes(**loaded.pop("download_file_types"))
        return cls(download_file_types=types, **loaded)


class SettingsError(ValueError):
    """Invalid settings; `messages` are marshmallow's, the text names each key."""

    def __init__(self, text: str, messages: Any = None):
        super().__init__(text)
        self.messages = messages


def merge(base: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with `patch` applied; nested mappings merge key by key."""
    merged = dict(base)
    for key, value in patch.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def render_yaml(settings: Settings) -> str:
    """settings.yaml text: a commented header documenting each key, then the values."""
    lines = ["# tgscraper settings (changes here need a restart; PATCH /api/v3/settings doesn't)"]
    for schema_field in SettingsSchema().fields.values():
        text = f"{schema_field.name}: {schema_field.metadata['description']}"
        lines += textwrap.wrap(text, 88, initial_indent="#   ", subsequent_indent="#       ")
    body = yaml.safe_dump(settings.to_dict(), sort_keys=False, default_flow_style=False)
    return "\n".join(lines) + "\n" + body


def parse_yaml(text: str, source: str) -> Settings:
    """Validate settings text; SettingsError names the file, the key and the problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise SettingsError(f"{source}: not valid YAML: {exc}") from exc
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        raise SettingsError(f"{source}: expected a mapping of setting names to values.")
    try:
        return Settings.from_dict(data)
    except ValidationError as exc:
        text = describe_errors(exc.messages, what="setting")
        raise SettingsError(f"{source}: {text}", exc.messages) from exc


def write_atomically(path: Path, text: str) -> None:
    """Replace `path` so a crash leaves the old or the new file, never a truncated one."""
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


class SettingsStore:
    """The live settings of one data dir."""

    def __init__(self, path: Path, settings: Settings):
        self.path = path
        self._current = settings
        self._lock = asyncio.Lock()

    @classmethod
    def open(cls, data_dir: Path) -> SettingsStore:
        """Load settings.yaml, creating it with defaults on first run (blocking: call it
        before the loop runs or through asyncio.to_thread). SettingsError names the file
        and the problem, also when it cannot be read or created."""
        path = data_dir / SETTINGS_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            settings = Settings()
            try:
                write_atomically(path, render_yaml(settings))
            except OSError as exc:
                raise SettingsError(f"Cannot create {path}: {exc}") from exc
            return cls(path, settings)
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"Cannot read {path}: {exc}") from exc
        return cls(path, parse_yaml(text, str(path)))

    @staticmethod
    def import_template(template: Path, data_dir: Path) -> Settings:
        """Validate `template`, then make it data_dir's settings.yaml; an invalid template
        raises SettingsError and leaves the existing file untouched."""
        try:
            text = template.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"Cannot read the settings template {template}: {exc}") from exc
        settings = parse_yaml(text, str(template))
        target = data_dir / SETTINGS_FILE
        try:
            write_atomically(target, render_yaml(settings))
        except OSError as exc:
            raise SettingsError(f"Cannot write {target}: {exc}") from exc
        return settings

    @property
    def current(self) -> Settings:
        return self._current

    async def update(self, patch: Mapping[str, Any]) -> Settings:
        """Apply a partial change, persist it, and return the new snapshot."""
        try:
            SettingsPatchSchema().load(patch)
        except ValidationError as exc:
            raise SettingsError(describe_errors(exc.messages, "setting"), exc.messages) from exc
        # shielded: once started, an update completes even if its caller is cancelled (a
        # client that hangs up), so the file and `current` never disagree
        return await asyncio.shield(self._apply(patch))

    async def _apply(self, patch: Mapping[str, Any]) -> Settings:
        async with self._lock:
            merged = merge(self._current.to_dict(), patch)
            updated = Settings.from_dict(merged)
            await asyncio.to_thread(write_atomically, self.path, render_yaml(updated))
            self._current = updated
            return updated
