"""Every button's data: what each kind reads back as, the strings already on phones, and forged data."""

from __future__ import annotations

import pytest
from telegram.constants import InlineKeyboardButtonLimit

from bot.core.actions import (
    ERASE,
    MAX_ACTION_BYTES,
    MAX_ID,
    MENU,
    Action,
    FlowStep,
    LeadOperation,
    LeadTransfer,
    LeadView,
    OpenEntry,
    OpenSubject,
    for_agents,
    parse_action,
)
from bot.core.leads.records import LeadAction

EVERY_KIND: list[Action] = [
    MENU,
    ERASE,
    OpenSubject("tn"),
    OpenEntry("bhyt.the-mat"),
    FlowStep("household"),
    FlowStep("household", "members"),
    FlowStep("household", "members", "3"),
    FlowStep("lead", "area", "tien-yen"),
    *(LeadOperation(12, action) for action in LeadAction),
    *(LeadOperation(12, view) for view in LeadView),
    LeadTransfer(12, 7),
    LeadTransfer(12, None),
]


@pytest.mark.parametrize("action", EVERY_KIND, ids=repr)
def test_every_kind_of_button_reads_back_as_itself(action: Action) -> None:
    assert parse_action(action.data()) == action


@pytest.mark.parametrize(
    ("action", "wire"),
    [
        (MENU, "m"),
        (ERASE, "x:erase"),
        (OpenSubject("tn"), "s:tn"),
        (OpenEntry("bhyt.the"), "a:bhyt.the"),
        (FlowStep("household"), "f:household"),
        (FlowStep("household", "months"), "f:household:months"),
        (FlowStep("household", "members", "back"), "f:household:members:back"),
        (LeadOperation(12, LeadAction.CLAIM), "lead:12:claim"),
        (LeadOperation(12, LeadAction.UNREACHABLE), "lead:12:unreachable"),
        (LeadOperation(12, LeadAction.TRANSFER), "lead:12:transfer"),
        (LeadOperation(12, LeadView.OPEN), "lead:12:open"),
        (LeadOperation(12, LeadView.BACK), "lead:12:back"),
        (LeadTransfer(12, 7), "lead:12:to:7"),
        (LeadTransfer(12, None), "lead:12:to:office"),
    ],
)
def test_the_strings_on_phones_today_are_unchanged(action: Action, wire: str) -> None:
    assert action.data() == wire
    assert parse_action(wire) == action


def test_the_agents_operations_are_every_lead_action_and_the_two_views() -> None:
    values = [action.value for action in LeadAction]
    assert values == ["claim", "called", "callback", "enrolled", "declined", "unreachable", "transfer"]
    assert all(parse_action(f"lead:1:{value}") == LeadOperation(1, LeadAction(value)) for value in values)


@pytest.mark.parametrize(
    "data",
    [
        "",
        "mm",
        "m:",
        "x",
        "x:erase:",
        "x:other",
        "s:",
        "a:",
        "f:",
        "f::members",
        "q:1",
        "entry:lead:1",
        "lead",
        "lead:",
        "lead:12",
        "lead:12:",
        "lead:12:fly",
        "lead:12:claim:",
        "lead:12:claim:now",
        "lead:12:to",
        "lead:12:to:",
        "lead:12:to:someone",
        "lead:12:to:office:again",
        "lead:12:to:-3",
        "lead:x:claim",
        "lead:0:claim",
        "lead:-1:claim",
        "lead:+1:claim",
        "lead: 1:claim",
        "lead:³:claim",
        "lead:１２:claim",
        f"lead:{2**63}:claim",
        f"lead:{'9' * 30}:claim",
        f"lead:12:to:{2**63}",
        "LEAD:12:claim",
        "M",
    ],
)
def test_unknown_or_forged_data_reads_as_nothing(data: str) -> None:
    assert parse_action(data) is None


def test_the_largest_id_a_database_keeps_is_read_and_one_more_is_not() -> None:
    assert parse_action(f"lead:{MAX_ID}:to:{MAX_ID}") == LeadTransfer(MAX_ID, MAX_ID)
    assert parse_action(f"lead:{MAX_ID + 1}:claim") is None
    assert MAX_ID == 2**63 - 1


def test_data_over_telegrams_64_bytes_is_never_made_nor_read() -> None:
    fits = "a:" + "đ" * 31  # 2 + 62 bytes
    assert len(fits.encode()) == MAX_ACTION_BYTES == 64
    assert parse_action(fits) == OpenEntry("đ" * 31)
    assert parse_action(fits + "x") is None
    assert parse_action("s:" + "x" * 1000) is None
    with pytest.raises(ValueError, match="64 bytes"):
        OpenEntry("đ" * 32).data()
    with pytest.raises(ValueError, match="64 bytes"):
        FlowStep("household", "members", "x" * 60).data()


def test_the_limit_is_telegrams_own() -> None:
    assert MAX_ACTION_BYTES == InlineKeyboardButtonLimit.MAX_CALLBACK_DATA


def test_the_longest_agents_button_fits() -> None:
    assert len(LeadTransfer(MAX_ID, MAX_ID).data().encode()) <= MAX_ACTION_BYTES
    assert len(LeadOperation(MAX_ID, LeadAction.UNREACHABLE).data().encode()) <= MAX_ACTION_BYTES


def test_a_flow_choice_keeps_everything_after_its_step_as_its_code() -> None:
    assert parse_action("f:lead:area:xa:phuong") == FlowStep("lead", "area", "xa:phuong")


def test_data_with_a_lone_surrogate_is_read_without_raising() -> None:
    assert parse_action("a:\udc80") == OpenEntry("\udc80")
    assert parse_action("lead:\ud800:claim") is None


@pytest.mark.parametrize(
    ("data", "desk"),
    [("lead:12:claim", True), (f"lead:{'9' * 30}:claim", True), ("lead:x", True), ("m", False), ("a:lead", False)],
)
def test_every_button_starting_lead_goes_to_the_agents_desk_even_forged(data: str, desk: bool) -> None:
    assert for_agents(data) is desk
