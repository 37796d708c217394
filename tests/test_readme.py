"""README.rst stays true: CI runs its test command, and it documents every endpoint."""

from __future__ import annotations

from pathlib import Path

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
