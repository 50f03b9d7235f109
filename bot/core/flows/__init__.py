"""Guided flows: short multi-step conversations declared as data (bot.core.flows.base) and run by one
runner (bot.core.flows.runner). The calculators live here; a new flow is a module with a FLOW and a line
in FLOWS below, and an entry in knowledge/faq/*.yaml with `flow: <name>` to reach it:

- an entry of kind `flow` with `flow: <name>` starts the flow when the matcher answers it or its button
  is pressed (the question's numbers are taken as answers);
- any other entry with `flow: <name>` offers the flow with a button under its answer ("Tính cho tôi").
"""

from __future__ import annotations

from bot.core.flows import household, pension, runner, voluntary
from bot.core.flows.base import Flow
from bot.core.leads import capture as lead

FLOWS: dict[str, Flow] = {flow.name: flow for flow in (voluntary.FLOW, household.FLOW, pension.FLOW, lead.FLOW)}
CALCULATORS = frozenset({voluntary.NAME, household.NAME, pension.NAME})  # finishing one is a sign of interest
LEAD = lead.NAME


def message_keys() -> set[str]:
    """Every bot.yaml message the flows and their runner speak with."""
    return set(runner.MESSAGES).union(*(flow.message_keys() for flow in FLOWS.values()))


__all__ = ["CALCULATORS", "FLOWS", "LEAD", "Flow", "message_keys"]
