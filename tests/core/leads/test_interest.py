"""When the bot offers a call-back: the interest rule over a chat's signals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.leads.interest import InterestRule, Signal, SignalKind, interest_score, parse_weights, should_offer

AT = datetime(2026, 11, 23, tzinfo=UTC)
RULE = InterestRule()  # calculator 2, how to register 2, contribution 1, household BHYT 1; threshold 3


def signal(kind: SignalKind, topic: str | None = None) -> Signal:
    return Signal("telegram:1", kind, topic, AT)


def test_one_question_about_contributions_is_not_enough() -> None:
    assert not should_offer([signal(SignalKind.ASKED_CONTRIBUTION, "tn.muc-dong")], RULE)


def test_a_finished_calculator_and_a_question_on_contributions_are_enough() -> None:
    signals = [signal(SignalKind.FINISHED_CALCULATOR, "calc.tn"), signal(SignalKind.ASKED_CONTRIBUTION, "tn.muc-dong")]
    assert should_offer(signals, RULE)


def test_asking_the_same_question_again_counts_once() -> None:
    signals = [signal(SignalKind.ASKED_CONTRIBUTION, "tn.muc-dong")] * 5
    assert interest_score(signals, RULE) == 1
    assert not should_offer(signals, RULE)


def test_the_offer_is_made_once() -> None:
    signals = [
        signal(SignalKind.FINISHED_CALCULATOR, "calc.tn"),
        signal(SignalKind.ASKED_HOW_TO_REGISTER, "tn.dang-ky"),
    ]
    assert should_offer(signals, RULE)
    assert not should_offer([*signals, signal(SignalKind.OFFERED)], RULE)


def test_weights_and_threshold_come_from_configuration() -> None:
    rule = InterestRule(parse_weights({"asked-household-bhyt": 5}), threshold=5)
    assert should_offer([signal(SignalKind.ASKED_HOUSEHOLD_BHYT, "bhyt.hgd")], rule)
    with pytest.raises(ValueError, match="unknown interest signal"):
        parse_weights({"liked-the-bot": 1})
