"""When the bot offers a call-back: the interest rule over a chat's signals."""

from __future__ import annotations

import pytest

from bot.core.leads.interest import InterestRule, SignalKind, offer_due, parse_weights, weigh

RULE = InterestRule()  # calculator 2, how to register 2, contribution 1, household BHYT 1; threshold 3


def signal(kind: SignalKind, topic: str | None = None) -> tuple[SignalKind, str | None]:
    return kind, topic  # as a chat's session keeps it


def test_one_question_about_contributions_is_not_enough() -> None:
    assert not offer_due([signal(SignalKind.ASKED_CONTRIBUTION, "tn.muc-dong")], RULE)


def test_a_finished_calculator_and_a_question_on_contributions_are_enough() -> None:
    signals = [signal(SignalKind.FINISHED_CALCULATOR, "calc.tn"), signal(SignalKind.ASKED_CONTRIBUTION, "tn.muc-dong")]
    assert offer_due(signals, RULE)


def test_asking_the_same_question_again_counts_once() -> None:
    signals = [signal(SignalKind.ASKED_CONTRIBUTION, "tn.muc-dong")] * 5
    assert weigh(signals, RULE) == 1
    assert not offer_due(signals, RULE)


def test_the_offer_is_made_once() -> None:
    signals = [
        signal(SignalKind.FINISHED_CALCULATOR, "calc.tn"),
        signal(SignalKind.ASKED_HOW_TO_REGISTER, "tn.dang-ky"),
    ]
    assert offer_due(signals, RULE)
    assert not offer_due([*signals, signal(SignalKind.OFFERED)], RULE)


def test_weights_and_threshold_come_from_configuration() -> None:
    rule = InterestRule(parse_weights({"asked-household-bhyt": 5}), threshold=5)
    assert offer_due([signal(SignalKind.ASKED_HOUSEHOLD_BHYT, "bhyt.hgd")], rule)
    with pytest.raises(ValueError, match="unknown interest signal"):
        parse_weights({"liked-the-bot": 1})
