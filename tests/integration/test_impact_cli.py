"""``kringloop report impact`` as a real process, over the demo organisation: its history fills every chart."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from tests.integration.test_cli import _env, _run


def test_report_impact_over_the_demo_history(tmp_path: Path) -> None:
    env = {**_env(tmp_path), "KRINGLOOP_DEMO_MODE": "true"}
    assert _run(["migrate"], env).returncode == 0
    loaded = _run(["demo"], env)
    assert loaded.returncode == 0, loaded.stderr
    today = date.today()
    window = ["--from", (today - timedelta(days=3 * 365)).isoformat(), "--to", today.isoformat()]
    out = tmp_path / "impact.json"
    result = _run(["report", "impact", *window, "--format", "json", "-o", str(out)], env)
    assert result.returncode == 0, result.stderr
    assert f"to {out}" in result.stdout
    report = json.loads(out.read_bytes())
    for name, chart in report["charts"].items():
        values = [Decimal(v) for s in chart["series"] for v in s["values"]]
        assert any(v != 0 for v in values), f"the demo leaves the {name} chart empty"
    assert len(report["charts"]["co2e_by_year"]["labels"]) >= 3  # three years of replacements
    assert report["second_life"]["rows"] and report["procurement"]["rows"]

    pdf = _run(["report", "impact", "--year", str(today.year), "--format", "pdf", "-o", str(tmp_path / "r.pdf")], env)
    assert pdf.returncode == 0, pdf.stderr
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    stdout = _run(["report", "impact", "--year", str(today.year), "--format", "csv", "-o", "-"], env)
    assert stdout.returncode == 0 and stdout.stdout.startswith("section,group,figure,value,unit,method,")
    bad = _run(["report", "impact", "--year", "20", "--format", "json"], env)
    assert bad.returncode == 1 and "a year between 1990 and 2100" in bad.stderr and "Traceback" not in bad.stderr
