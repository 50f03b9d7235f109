"""`python -m bot calc pension … --chart FILE.png` also draws the comparison (called in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.__main__ import main

SHORT_RECORD = [
    "calc", "pension", "--gender", "female", "--birth", "1980-03-01", "--from-2014", "10", "--income", "8tr",
    "--scheme", "compulsory", "--stopped", "2025-12", "--date", "2026-11-23",
]  # fmt: skip


def test_calc_pension_with_chart_writes_a_png_and_says_where(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "so-sanh.png"
    assert main([*SHORT_RECORD, "--chart", str(path)]) == 0
    out, err = capsys.readouterr()
    assert path.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert f"Biểu đồ so sánh đã lưu ở: {path}" in err
    assert "từ tuổi 67, tổng lương hưu" in out


def test_the_json_result_stays_plain_json_when_a_chart_is_drawn(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "so-sanh.png"
    assert main([*SHORT_RECORD, "--json", "--chart", str(path)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["crossover_age"] == 67
    assert path.exists()


def test_no_chart_is_written_without_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(SHORT_RECORD) == 0
    assert "Biểu đồ" not in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []
