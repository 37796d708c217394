"""Shared fixtures live in plugin modules, one per concern."""

pytest_plugins = [
    "tests.fakegram.pytest_plugin",
    "tests.app_fixtures",
]
