"""Settings: GET/PATCH /api/v3/settings over HTTP, settings.yaml on disk."""

from __future__ import annotations

import asyncio
import resource
from pathlib import Path

import aiohttp
import pytest
import yaml

from tests.processes import TgscProcess, clean_env
from tgscraper.settings import (
    MEDIA_TYPES,
    SETTINGS_FILE,
    Settings,
    SettingsError,
    SettingsStore,
    render_yaml,
)

DEFAULTS = {
    "download_media": True,
    "max_media_size_mb": 20,
    "telegram_batch_size": 100,
    "repair_media": True,
    "download_file_types": dict.fromkeys(MEDIA_TYPES, True),
    "max_flood_wait_s": 300,
    "media_concurrency": 4,
    "media_parts_in_flight": 12,
    "history_concurrency": 4,
    "dialogs_cache_ttl_s": 60,
}


def on_disk(data_dir: Path) -> dict:
    return yaml.safe_load((data_dir / SETTINGS_FILE).read_text())


async def test_first_run_writes_defaults_and_get_returns_them(tgsc):
    assert await tgsc.json("GET", "/api/v3/settings") == DEFAULTS
    assert on_disk(tgsc.data_dir) == DEFAULTS


async def test_patch_changes_only_the_given_keys_and_persists(tgsc):
    body = await tgsc.json(
        "PATCH",
        "/api/v3/settings",
        json={"telegram_batch_size": 50, "download_file_types": {"stickers": False}},
    )
    expected = {
        **DEFAULTS,
        "telegram_batch_size": 50,
        "download_file_types": {**DEFAULTS["download_file_types"], "stickers": False},
    }
    assert body == expected
    assert await tgsc.json("GET", "/api/v3/settings") == expected
    assert on_disk(tgsc.data_dir) == expected
    leftovers = [p.name for p in tgsc.data_dir.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


async def test_patch_takes_effect_in_the_store_for_the_next_request(tgsc):
    from tgscraper.web.appkeys import SETTINGS

    await tgsc.json("PATCH", "/api/v3/settings", json={"max_flood_wait_s": 5})
    assert tgsc.app[SETTINGS].current.max_flood_wait_s == 5


async def test_settings_survive_a_restart(make_tgsc, tmp_path):
    data_dir = tmp_path / "kept"
    first = await make_tgsc(data_dir=data_dir)
    await first.json("PATCH", "/api/v3/settings", json={"download_media": False})
    await first.close()
    second = await make_tgsc(data_dir=data_dir)
    body = await second.json("GET", "/api/v3/settings")
    assert body["download_media"] is False


@pytest.mark.parametrize("value", [0, None])
async def test_max_media_size_zero_or_null_means_no_limit(tgsc, value):
    from tgscraper.web.appkeys import SETTINGS

    body = await tgsc.json("PATCH", "/api/v3/settings", json={"max_media_size_mb": value})
    assert body["max_media_size_mb"] == value
    assert tgsc.app[SETTINGS].current.max_media_size_bytes is None


async def test_max_media_size_limit_in_bytes(tgsc):
    from tgscraper.web.appkeys import SETTINGS

    await tgsc.json("PATCH", "/api/v3/settings", json={"max_media_size_mb": 3})
    assert tgsc.app[SETTINGS].current.max_media_size_bytes == 3 * 1024 * 1024


@pytest.mark.parametrize(
    ("patch", "field", "words"),
    [
        ({"max_media_size_mb": -1}, "max_media_size_mb", "greater than or equal to 0"),
        ({"max_media_size_mb": 2.5}, "max_media_size_mb", "Not a valid integer"),
        ({"telegram_batch_size": 0}, "telegram_batch_size", "at most 100 messages"),
        ({"telegram_batch_size": 101}, "telegram_batch_size", "at most 100 messages"),
        ({"telegram_batch_size": "50"}, "telegram_batch_size", "Not a valid integer"),
        ({"telegram_batch_size": None}, "telegram_batch_size", "Field may not be null"),
        ({"download_media": "yes"}, "download_media", "Not a valid boolean"),
        ({"download_media": 1}, "download_media", "Not a valid boolean"),
        ({"repair_media": None}, "repair_media", "Field may not be null"),
        ({"download_file_types": {"photos": "no"}}, "download_file_types.photos", "boolean"),
        ({"download_file_types": {"audio": True}}, "download_file_types.audio", "Unknown"),
        ({"download_file_types": True}, "download_file_types", "Invalid input type"),
        ({"max_flood_wait_s": -1}, "max_flood_wait_s", "greater than or equal to 0"),
        ({"max_flood_wait_s": True}, "max_flood_wait_s", "Not a valid integer"),
        ({"media_concurrency": 0}, "media_concurrency", "between 1 and 32"),
        ({"media_concurrency": 33}, "media_concurrency", "between 1 and 32"),
        ({"media_parts_in_flight": 0}, "media_parts_in_flight", "between 1 and 16"),
        ({"media_parts_in_flight": 17}, "media_parts_in_flight", "between 1 and 16"),
        ({"history_concurrency": 0}, "history_concurrency", "between 1 and 16"),
        ({"history_concurrency": 17}, "history_concurrency", "between 1 and 16"),
        ({"dialogs_cache_ttl_s": -5}, "dialogs_cache_ttl_s", "greater than or equal to 0"),
        ({"no_such_setting": 1}, "no_such_setting", "Unknown field"),
    ],
)
async def test_invalid_patch_is_refused_naming_the_field(tgsc, patch, field, words):
    body = await tgsc.json("PATCH", "/api/v3/settings", json=patch, status=422)
    assert body["error"] == "invalid_body"
    assert f"'{field}'" in body["detail"]
    assert words in body["detail"]
    assert await tgsc.json("GET", "/api/v3/settings") == DEFAULTS
    assert on_disk(tgsc.data_dir) == DEFAULTS


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"", 400, "invalid_json"),
        (b"   ", 400, "invalid_json"),
        (b"{not json", 400, "invalid_json"),
        (b"[1, 2]", 400, "invalid_json"),
        (b'"text"', 400, "invalid_json"),
        (b"{}", 422, "invalid_body"),
    ],
)
async def test_empty_or_unparsable_body_is_refused(tgsc, data, status, code):
    body = await tgsc.json(
        "PATCH",
        "/api/v3/settings",
        data=data,
        headers={"Content-Type": "application/json"},
        status=status,
    )
    assert body["error"] == code
    assert body["detail"]


async def test_body_is_read_as_json_whatever_the_content_type(tgsc):
    body = await tgsc.json(
        "PATCH",
        "/api/v3/settings",
        data=b'{"telegram_batch_size": 10}',
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert body["telegram_batch_size"] == 10


async def test_concurrent_patches_never_lose_an_update(tgsc):
    patches = [
        {"telegram_batch_size": 42},
        {"max_media_size_mb": 7},
        {"download_media": False},
        {"repair_media": False},
        {"max_flood_wait_s": 11},
        {"media_concurrency": 9},
        {"history_concurrency": 3},
        {"dialogs_cache_ttl_s": 0},
        {"download_file_types": {"photos": False}},
        {"download_file_types": {"gifs": False}},
    ]
    results = await asyncio.gather(
        *(tgsc.request("PATCH", "/api/v3/settings", json=p) for p in patches)
    )
    assert [r.status for r in results] == [200] * len(patches)
    expected = {
        **DEFAULTS,
        "telegram_batch_size": 42,
        "max_media_size_mb": 7,
        "download_media": False,
        "repair_media": False,
        "max_flood_wait_s": 11,
        "media_concurrency": 9,
        "history_concurrency": 3,
        "dialogs_cache_ttl_s": 0,
        "download_file_types": {**DEFAULTS["download_file_types"], "photos": False, "gifs": False},
    }
    assert await tgsc.json("GET", "/api/v3/settings") == expected
    assert on_disk(tgsc.data_dir) == expected


async def test_settings_file_given_at_start_is_used(make_tgsc):
    app = await make_tgsc(settings={"telegram_batch_size": 25})
    body = await app.json("GET", "/api/v3/settings")
    assert body["telegram_batch_size"] == 25


def test_partial_file_takes_defaults_for_missing_keys(tmp_path):
    (tmp_path / SETTINGS_FILE).write_text("download_media: false\n")
    store = SettingsStore.open(tmp_path)
    assert store.current == Settings(download_media=False)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("telegram_batch_size: 500\n", "'telegram_batch_size'"),
        ("max_media_size_mb: lots\n", "'max_media_size_mb'"),
        ("unknown_key: 1\n", "'unknown_key'"),
        ("download_file_types:\n  photos: maybe\n", "'download_file_types.photos'"),
        ("- a list\n", "expected a mapping"),
        ("key: [unclosed\n", "not valid YAML"),
    ],
)
def test_invalid_file_names_the_key_and_the_problem(tmp_path, text, words):
    (tmp_path / SETTINGS_FILE).write_text(text)
    with pytest.raises(SettingsError) as error:
        SettingsStore.open(tmp_path)
    assert words in str(error.value)
    assert str(tmp_path / SETTINGS_FILE) in str(error.value)


@pytest.mark.parametrize("problem", ["directory", "not utf-8"])
def test_an_unreadable_file_is_a_settings_error_naming_it(tmp_path, problem):
    path = tmp_path / SETTINGS_FILE
    if problem == "directory":
        path.mkdir()
    else:
        path.write_bytes(b"download_media: \xff\n")
    with pytest.raises(SettingsError, match=f"Cannot read {path}"):
        SettingsStore.open(tmp_path)


def test_a_settings_file_that_cannot_be_created_is_a_settings_error(tmp_path):
    missing = tmp_path / "no-such-dir"
    with pytest.raises(SettingsError, match=f"Cannot create {missing / SETTINGS_FILE}"):
        SettingsStore.open(missing)


@pytest.mark.parametrize("problem", ["missing", "not utf-8"])
def test_an_unreadable_template_is_refused_naming_it(tmp_path, problem):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    SettingsStore.open(data_dir)
    before = (data_dir / SETTINGS_FILE).read_bytes()
    template = tmp_path / "template.yaml"
    if problem == "not utf-8":
        template.write_bytes(b"telegram_batch_size: \xff\n")
    with pytest.raises(SettingsError, match=f"Cannot read the settings template {template}"):
        SettingsStore.import_template(template, data_dir)
    assert (data_dir / SETTINGS_FILE).read_bytes() == before


def test_import_template_refuses_invalid_and_keeps_the_old_file(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    SettingsStore.open(data_dir)
    before = (data_dir / SETTINGS_FILE).read_bytes()
    template = tmp_path / "template.yaml"
    template.write_text("telegram_batch_size: 1000\n")
    with pytest.raises(SettingsError, match="telegram_batch_size"):
        SettingsStore.import_template(template, data_dir)
    assert (data_dir / SETTINGS_FILE).read_bytes() == before


def test_import_template_replaces_settings(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    SettingsStore.open(data_dir)
    template = tmp_path / "template.yaml"
    template.write_text("telegram_batch_size: 10\n")
    SettingsStore.import_template(template, data_dir)
    assert SettingsStore.open(data_dir).current.telegram_batch_size == 10


def test_settings_example_file_is_the_rendered_defaults():
    example = Path(__file__).parent.parent / "settings.example.yaml"
    assert example.read_text() == render_yaml(Settings())


async def test_an_update_whose_caller_is_cancelled_still_completes(tmp_path):
    store = SettingsStore.open(tmp_path)
    first = asyncio.create_task(store.update({"telegram_batch_size": 7}))
    await asyncio.sleep(0)  # the update has started
    first.cancel()
    with pytest.raises(asyncio.CancelledError):
        await first
    await store.update({"download_media": False})  # queued behind the first
    assert store.current == Settings(telegram_batch_size=7, download_media=False)
    assert SettingsStore.open(tmp_path).current == store.current


@pytest.mark.skipif(not hasattr(resource, "prlimit"), reason="needs Linux prlimit")
async def test_a_save_failing_half_way_keeps_the_old_file_and_settings(tmp_path):
    """A real failure in the middle of the write: the server process may not grow files
    beyond a few bytes more than settings.yaml (RLIMIT_FSIZE; Python then gets EFBIG after
    a partial write), and the PATCH makes the file longer than that."""
    data_dir = tmp_path / "data"
    credentials = {"TELEGRAM_API_ID": "12345", "TELEGRAM_API_HASH": "0" * 32}
    server = TgscProcess(data_dir, env=clean_env(**credentials), cwd=tmp_path)
    try:
        await server.wait_healthy()
        (data_dir / "sessions" / "alice.session").touch()  # the account header's check
        headers = {"X-Telegram-Username": "alice"}
        before = (data_dir / SETTINGS_FILE).read_bytes()
        limit = len(before) + 4
        resource.prlimit(server.process.pid, resource.RLIMIT_FSIZE, (limit, limit))
        async with aiohttp.ClientSession(server.url, headers=headers) as session:
            grow = {"max_media_size_mb": 10**15, "telegram_batch_size": 7}  # +14 bytes
            async with session.patch("/api/v3/settings", json=grow) as response:
                assert response.status == 500
                body = await response.json()
            assert body["error"] == "settings_not_saved"
            assert "settings.yaml" in body["detail"] and "unchanged" in body["detail"]
            async with session.get("/api/v3/settings") as response:
                assert await response.json() == DEFAULTS
            assert (data_dir / SETTINGS_FILE).read_bytes() == before
            assert [p.name for p in data_dir.iterdir() if p.name.endswith(".tmp")] == []
            # the store is not stuck: a change that fits is saved
            fits = {"telegram_batch_size": 50}
            async with session.patch("/api/v3/settings", json=fits) as response:
                assert response.status == 200
            assert on_disk(data_dir) == {**DEFAULTS, "telegram_batch_size": 50}
    finally:
        status, stderr = server.stop()
    assert status == 0, stderr
    assert "File too large" in stderr  # the failure was real, and logged as a warning
