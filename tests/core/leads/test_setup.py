"""knowledge/leads.yaml: the consent text and the answers that are interest signals, from one parser."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.knowledge_schema import SignalsSpec
from bot.core.leads.consent import ConsentText
from bot.core.leads.interest import SignalKind
from bot.core.leads.setup import LeadSetupError, parse_leads

CONSENT = {"version": "2026-02", "text": "{office} lưu thông tin tối đa {retention_days} ngày."}


def leads_document(**fields: Any) -> dict[str, Any]:
    return {"office": "BHXH tỉnh Quảng Ninh", "consent": dict(CONSENT), **fields}


def test_the_consent_text_takes_the_office_and_default_buttons() -> None:
    leads = parse_leads(leads_document())
    assert leads.consent.render(180) == "BHXH tỉnh Quảng Ninh lưu thông tin tối đa 180 ngày."
    assert (leads.consent.agree, leads.consent.decline) == (ConsentText.agree, ConsentText.decline)
    assert leads.signal_topics == {}


def test_signals_map_each_answer_to_the_signal_it_gives() -> None:
    signals = {"asked-contribution": ["tn.muc-dong"], "asked-household-bhyt": ["bhyt.muc-dong-hgd"]}
    leads = parse_leads(leads_document(signals=signals))
    assert leads.signal_topics == {
        "tn.muc-dong": SignalKind.ASKED_CONTRIBUTION,
        "bhyt.muc-dong-hgd": SignalKind.ASKED_HOUSEHOLD_BHYT,
    }


def test_the_signals_leads_yaml_may_list_are_signal_kinds() -> None:
    assert {info.alias for info in SignalsSpec.model_fields.values()} <= {kind.value for kind in SignalKind}


@pytest.mark.parametrize(
    ("document", "said"),
    [
        (None, 'thiếu "office"'),
        ({}, 'thiếu "office"'),
        ({"office": "BHXH", "consent": {"version": "1"}}, 'thiếu "text"'),
        ({"consent": {"version": "1", "text": "x"}}, 'thiếu "office"'),
        ({"office": "BHXH", "consent": {"version": "1", "text": "lưu {so_ngay} ngày"}}, "so_ngay"),
        (leads_document(ofice="BHXH"), 'khóa không hợp lệ "ofice" (có thể là "office"?)'),
        (leads_document(signals={"asked-contributon": []}), '(có thể là "asked-contribution"?)'),
        (leads_document(signals={"offered": ["tn.muc-dong"]}), 'khóa không hợp lệ "offered"'),
        (leads_document(signals={"asked-contribution": "tn.muc-dong"}), "phải là một danh sách"),
    ],
)
def test_a_leads_file_that_is_incomplete_or_misspelt_is_refused_saying_why(document: Any, said: str) -> None:
    with pytest.raises(LeadSetupError) as caught:
        parse_leads(document)
    assert str(caught.value).startswith("leads.yaml")
    assert said in str(caught.value)
