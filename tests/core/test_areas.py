"""Matching what a citizen types to an area of knowledge/areas.yaml."""

from __future__ import annotations

import pytest

from bot.core.areas import Area, AreaError, MatchKind, area_issues, area_key, match_area, parse_areas
from bot.storage.knowledge_files import load_areas
from tests.factories import KNOWLEDGE_DIR
from tests.lead_factories import AREAS


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("Xã Tiên Yên", "qn-tien-yen"),
        ("tien yen", "qn-tien-yen"),
        ("TIÊN YÊN", "qn-tien-yen"),
        ("xa tien yen", "qn-tien-yen"),
        ("x. tien yen", "qn-tien-yen"),
        ("tt tien yen", "qn-tien-yen"),
        ("phuong hong gai", "qn-hong-gai"),
        ("P. Hồng Gai", "qn-hong-gai"),
        ("p hong gai", "qn-hong-gai"),
        ("dac khu van don", "qn-van-don"),
        ("cai rong", "qn-van-don"),
        ("qn-van-don", "qn-van-don"),
        ("Móng Cái 1", "qn-mong-cai-1"),
    ],
)
def test_a_name_typed_without_diacritics_or_with_any_prefix_matches_exactly(typed: str, code: str) -> None:
    match = match_area(typed, AREAS)
    assert match.kind == MatchKind.EXACT
    assert match.area is not None and match.area.code == code


def test_a_typo_gets_did_you_mean_choices_best_first() -> None:
    match = match_area("tien yeen", AREAS)
    assert match.kind == MatchKind.CHOICES
    assert match.choices[0].code == "qn-tien-yen"


def test_an_ambiguous_name_offers_every_close_area_at_most_three() -> None:
    match = match_area("mong cai", AREAS)
    assert match.kind == MatchKind.CHOICES
    assert [area.code for area in match.choices] == ["qn-mong-cai-1", "qn-mong-cai-2"]


def test_something_unrelated_matches_nothing() -> None:
    assert match_area("thời tiết hôm nay", AREAS).kind == MatchKind.NONE
    assert match_area("   ", AREAS).kind == MatchKind.NONE


def test_the_prefix_tells_apart_a_xa_and_a_phuong_of_the_same_name() -> None:
    areas = (Area("a", "Xã Quảng Yên"), Area("b", "Phường Quảng Yên"))
    assert match_area("xa quang yen", areas).area == areas[0]
    assert match_area("phuong quang yen", areas).area == areas[1]
    assert match_area("quang yen", areas).kind == MatchKind.CHOICES


def test_area_key_drops_prefix_diacritics_and_punctuation() -> None:
    assert area_key("P. Móng Cái 1") == "mong cai 1"
    assert area_key("Đặc khu Vân Đồn") == "van don"


def test_the_areas_file_staff_keep_is_valid_and_has_the_province_after_the_2025_reorganisation() -> None:
    areas = load_areas(KNOWLEDGE_DIR)
    assert area_issues(areas) == []
    assert len(areas) == 54
    assert {area.name.split(" ")[0] for area in areas} == {"Xã", "Phường", "Đặc"}


def test_duplicate_codes_missing_prefixes_and_colliding_names_are_reported() -> None:
    areas = (Area("a", "Xã Tiên Yên"), Area("a", "Xã Hải Lạng"), Area("B c", "Tiên Yên"), Area("d", "Xã Tien Yen"))
    problems = [problem for _, problem in area_issues(areas)]
    assert any("code trùng" in p for p in problems)
    assert any("bắt đầu bằng" in p for p in problems)
    assert any("chữ thường" in p for p in problems)
    assert any("trùng với a" in p for p in problems)


@pytest.mark.parametrize(
    "document", [None, {}, {"areas": [{"code": "x"}]}, {"areas": [{"code": "x", "name": "Xã X", "aliases": "y"}]}]
)
def test_a_malformed_areas_file_is_an_error(document: object) -> None:
    with pytest.raises(AreaError):
        parse_areas(document)  # type: ignore[arg-type]
