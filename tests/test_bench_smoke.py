"""The benchmarks run (``--quick``) and print one JSON figure per line. Figures are not
checked: timings are no test's business. Opt-in (they start several servers): set
TGSC_BENCH_SMOKE=1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHES = ("cache_stream.py", "telegram_fill.py", "concurrent_clients.py", "media_download.py")

pytestmark = pytest.mark.skipif(
    os.environ.get("TGSC_BENCH_SMOKE") != "1", reason="set TGSC_BENCH_SMOKE=1 to run"
)


@pytest.mark.parametrize("script", BENCHES)
def test_quick_run_prints_json_figures(script, tmp_path):
    env = {**os.environ, "TGSC_BENCH_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), "--quick"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    figures = [json.loads(line) for line in lines]
    assert figures, done.stderr[-3000:]
    for figure in figures:
        assert figure["bench"] == script.removesuffix(".py")
        assert {"figure", "value", "unit"} <= figure.keys()
        assert ("target" in figure) == ("ok" in figure)
    # a failed stream ends cache_stream with an error status; the others count them
    assert [f["value"] for f in figures if f["figure"] == "errors"] in ([], [0], [0, 0])
