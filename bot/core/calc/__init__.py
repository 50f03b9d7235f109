"""Pure calculators: voluntary BHXH contribution, household BHYT, lump sum versus pension.

Each reads the policy figures in force on a date (never the clock), computes in Decimal and returns
a frozen result in integer đồng (rounded once, by `bot.core.render.to_dong`), carrying the date it
applies to, the legal bases used and the caveats of any uncertain figure. Input a calculator cannot
compute raises `CalcError` with a message fit to show a citizen.
"""

from bot.core.calc.common import CalcError

__all__ = ["CalcError"]
