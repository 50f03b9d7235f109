"""Lead statuses, the agent's buttons, who may act, and the consent text."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.actions import MAX_ACTION_BYTES, LeadOperation, parse_action
from bot.core.leads.messages import lead_buttons
from bot.core.leads.records import (
    ACTION_LABELS,
    ALLOWED_ACTIONS,
    OPEN_STATUSES,
    Actor,
    LeadAction,
    LeadStatus,
    TransitionError,
    may_handle,
    next_status,
)
from bot.storage.knowledge_files import load_leads
from tests.factories import KNOWLEDGE_DIR


def test_a_new_lead_shows_every_button_the_issue_names() -> None:
    labels = [button.label for button in lead_buttons(12, LeadStatus.NEW)]
    assert labels == ["Nhận", "Đã gọi", "Hẹn lại", "Đã đăng ký tham gia", "Không tham gia", "Không liên lạc được",
                      "Chuyển"]  # fmt: skip


def test_the_usual_path_goes_from_new_to_enrolled() -> None:
    status = LeadStatus.NEW
    for action in (LeadAction.CLAIM, LeadAction.CALLED, LeadAction.CALLBACK, LeadAction.CALLED, LeadAction.ENROLLED):
        status = next_status(status, action)
    assert status == LeadStatus.ENROLLED


@pytest.mark.parametrize("closed", [s for s in LeadStatus if s not in OPEN_STATUSES])
def test_a_closed_lead_takes_no_action_and_shows_no_buttons(closed: LeadStatus) -> None:
    for action in LeadAction:
        with pytest.raises(TransitionError):
            next_status(closed, action)
    assert lead_buttons(1, closed) == ()


def test_a_claimed_lead_cannot_be_claimed_again() -> None:
    with pytest.raises(TransitionError, match="Nhận"):
        next_status(LeadStatus.CLAIMED, LeadAction.CLAIM)


def test_a_transfer_makes_the_lead_new_again() -> None:
    assert next_status(LeadStatus.CALLBACK, LeadAction.TRANSFER) == LeadStatus.NEW


def test_every_button_fits_in_telegram_callback_data_and_reads_back() -> None:
    for status, actions in ALLOWED_ACTIONS.items():
        for button in lead_buttons(9_999_999_999, status):
            assert len(button.action.encode()) <= MAX_ACTION_BYTES
        assert len(actions) == len(lead_buttons(1, status))
    for action in LeadAction:
        assert parse_action(LeadOperation(42, action).data()) == LeadOperation(42, action)
        assert ACTION_LABELS[action]


@pytest.mark.parametrize(
    "data",
    ["m", "lead:x:claim", "lead:1:fly", "entry:lead:1", "", f"lead:{2**63}:claim", "lead:0:claim", "lead:³:claim"],
)
def test_other_callback_data_is_not_a_lead_action(data: str) -> None:
    assert not isinstance(parse_action(data), LeadOperation)


def test_an_agent_handles_only_their_own_leads_and_staff_handle_all(make_record) -> None:  # type: ignore[no-untyped-def]
    lead = make_record(agent_id=5)
    assert may_handle(Actor("agent:1", agent_id=5), lead)
    assert not may_handle(Actor("agent:2", agent_id=6), lead)
    assert not may_handle(Actor("citizen"), lead)
    assert may_handle(Actor("staff:9", staff=True), lead)
    assert not may_handle(Actor("agent:1", agent_id=5), make_record(agent_id=None))


def test_the_consent_text_says_what_why_who_how_long_and_how_to_withdraw() -> None:
    consent = load_leads(KNOWLEDGE_DIR).consent
    text = consent.render(180)
    for must in ("họ tên", "số điện thoại", "Mục đích duy nhất", "đại lý thu", "180 ngày", "/xoadulieu",
                 "91/2025/QH15", "356/2025/NĐ-CP"):  # fmt: skip
        assert must in text
    assert consent.agree == "Đồng ý"
    assert consent.proof_version(180) == f"{consent.version}/180d/90d"  # the text states both periods


@pytest.fixture
def make_record():  # type: ignore[no-untyped-def]
    from bot.core.leads.consent import ConsentChannel
    from bot.core.leads.records import LeadRecord

    def make(agent_id: int | None) -> LeadRecord:
        now = datetime(2026, 11, 23, tzinfo=UTC)
        return LeadRecord(1, "telegram:1", "a", agent_id, LeadStatus.NEW, "A", "+84912345678", None, None, None,
                          "v", now, ConsentChannel.TELEGRAM, False, now, now, None, None, None, None)  # fmt: skip

    return make
