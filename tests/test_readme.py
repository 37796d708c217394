"""README.rst stays true: CI runs its test command, and it documents every endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tgscraper.accounts import session_rejected_detail
from tgscraper.config import Config, ConfigError, check_bind_safety, parse_credentials
from tgscraper.settings import SettingsError, parse_yaml
from tgscraper.web.routing import spec_of

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.rst").read_text()


def test_ci_runs_exactly_the_readme_test_command():
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    command = next(line for line in ci_lines if ".venv/bin/pytest" in line)
    assert f"    {command}\n" in README


async def test_every_endpoint_is_documented_with_a_curl_example(tgsc):
    missing = []
    for registered in tgsc.app.router.routes():
        spec = spec_of(registered.handler)
        if spec is None or spec.hidden:
            continue
        heading = f"\n``{spec.method} {spec.path}``\n"
        found, section = README.partition(heading)[1:]
        section = section.split("\n``")[0]  # up to the next endpoint
        if not found or (spec.path != "/docs" and "curl" not in section):
            missing.append(f"{spec.method} {spec.path}")
    assert missing == [], f"document these in README.rst 'Endpoints' (with curl): {missing}"


def config_error(check, *args) -> str:
    with pytest.raises((ConfigError, SettingsError)) as error:
        check(*args)
    return str(error.value)


def test_troubleshooting_quotes_the_cli_errors_as_they_are_printed():
    """Each quoted message is what tgsc-server prints (up to the README's "...")."""
    public = Config(data_dir=Path("data"), api_id=1, api_hash="h", host="0.0.0.0")
    printed = [
        config_error(parse_credentials, {}).partition(" not set. ")[0] + " not set. ...",
        config_error(parse_credentials, {"TELEGRAM_API_ID": "abc", "TELEGRAM_API_HASH": "h"}),
        config_error(check_bind_safety, public).partition(": ")[0] + ": ...",
        config_error(parse_yaml, "telegram_batch_size: 500\n", "DATA_DIR/settings.yaml"),
    ]
    section = README[README.index("\nTroubleshooting\n") :]
    for message in printed:
        assert f"\n``tgsc-server: error: {message}``\n" in section


async def test_troubleshooting_quotes_the_http_errors_as_they_are_answered(make_tgsc):
    app = await make_tgsc(api_keys=("the-key",))
    answers = [
        await app.json("GET", "/api/v3/settings", account=None, status=401),
        await app.json("GET", "/api/v3/settings", account="NAME", status=401),
        {
            "error": "session_rejected",
            "detail": session_rejected_detail("NAME", "AUTH_KEY_UNREGISTERED"),
        },
        await app.json("GET", "/", api_key="wrong", status=401),
    ]
    section = README[README.index("\nTroubleshooting\n") :]
    for answer in answers:
        assert f"``{json.dumps(answer)}``" in section


def rst_problems(text: str) -> list[str]:
    """Warnings and errors docutils reports for ``text`` (broken references, bad markup)."""
    import io

    import docutils.core

    stream = io.StringIO()
    docutils.core.publish_doctree(
        text,
        settings_overrides={"report_level": 2, "halt_level": 5, "warning_stream": stream},
    )
    return stream.getvalue().splitlines()


def test_readme_is_valid_restructuredtext():
    """PyPI and GitHub render README.rst (also the package's long_description) with
    docutils: a broken reference or bad markup would show up there as an error."""
    assert rst_problems("See Nowhere_.\n") != []  # the check itself sees problems
    assert rst_problems(README) == []
