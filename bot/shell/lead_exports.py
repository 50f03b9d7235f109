"""The call-back requests as an Excel workbook, for `python -m bot leads export` and the console's leads board.

The cells come from bot.core.leads.export (neutralised: nothing a spreadsheet would run); here text is also
written as text cells, since openpyxl would store a string starting with "=" as a formula.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence

from openpyxl import Workbook

from bot.core.leads.export import HEADERS, Cell

SHEET_TITLE = "Yêu cầu tư vấn"


def xlsx_bytes(rows: Iterable[Sequence[Cell]]) -> bytes:
    """The rows under the Vietnamese headers, in one sheet with the header row frozen."""
    workbook = Workbook()
    sheet = workbook.worksheets[0]  # the one sheet a new workbook has (its active sheet)
    sheet.title = SHEET_TITLE
    for values in [HEADERS, *rows]:
        sheet.append(list(values))
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()
