"""The lump-sum-versus-pension picture drawn as a PNG for a phone screen (bot/shell/charts.py)."""

from __future__ import annotations

import struct
from dataclasses import replace
from pathlib import Path

import pytest

from bot.core.types import PensionChart
from bot.shell.charts import render_png, save_png

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def chart() -> PensionChart:
    """A chart as the core makes it: 160 million against a pension of 3,6 million a month from 60."""
    ages = tuple(range(60, 91))
    return PensionChart(
        lump_sum=160_000_000,
        ages=ages,
        pension_totals=tuple(max(0, age * 12 - 721) * 3_600_000 - 101_640_000 for age in ages),
        crossover_age=67,
        title="Rút một lần hay chờ lương hưu",
        lump_label="Rút một lần: 160 triệu đồng",
        pension_label="Tổng lương hưu, đã trừ tiền đóng thêm",
        crossover_label="Từ tuổi 67, tổng lương hưu vượt số tiền rút một lần",
        age_label="Tuổi",
        money_label="Triệu đồng",
    )


@pytest.fixture(scope="module")
def png(chart: PensionChart) -> bytes:
    return render_png(chart)


def dimensions(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk (it always comes first)."""
    assert png[12:16] == b"IHDR"
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def test_the_chart_is_a_square_png_a_phone_shows_full_width(png: bytes) -> None:
    assert png.startswith(PNG_SIGNATURE)
    assert dimensions(png) == (1080, 1080)


def test_the_same_chart_draws_the_same_bytes_with_no_version_or_date_in_them(chart: PensionChart, png: bytes) -> None:
    assert render_png(chart) == png
    assert b"matplotlib" not in png.lower() and b"Software" not in png


def test_a_chart_without_a_crossover_still_draws(chart: PensionChart) -> None:
    never = replace(
        chart, crossover_age=None, crossover_label="Đến 90 tuổi, tổng lương hưu chưa vượt số tiền rút một lần"
    )
    drawn = render_png(never)
    assert drawn.startswith(PNG_SIGNATURE) and dimensions(drawn) == (1080, 1080)


def test_save_png_writes_the_picture_to_the_file(chart: PensionChart, png: bytes, tmp_path: Path) -> None:
    path = save_png(chart, tmp_path / "bieu-do.png")
    assert path.read_bytes() == png
