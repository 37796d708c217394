"""The Dockerfile cannot be built here (no daemon): check what it promises, statically."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = (ROOT / "Dockerfile").read_text()


def instructions(name: str) -> list[str]:
    joined = DOCKERFILE.replace("\\\n", " ")
    return [m.group(1).strip() for m in re.finditer(rf"^{name}\s+(.*)$", joined, re.MULTILINE)]


def test_copied_files_exist_and_are_not_dockerignored():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    for copy in instructions("COPY"):
        *sources, _destination = copy.split()
        for source in sources:
            assert (ROOT / source).exists(), source
            assert source not in ignored, source


def test_runtime_promises():
    assert instructions("FROM")[0].startswith("python:3.11-slim")
    assert instructions("USER") == ["tgscraper"]
    assert instructions("VOLUME") == ['["/app/data"]']
    assert instructions("EXPOSE") == ["8000"]
    assert "/health" in instructions("HEALTHCHECK")[0]
    entrypoint = instructions("ENTRYPOINT")[0]
    assert '"--host", "0.0.0.0"' in entrypoint
    assert '"--data-dir", "/app/data"' in entrypoint
    assert instructions("WORKDIR")[-1] == "/app/data"
