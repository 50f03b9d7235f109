"""The channel contract of issue 17: one conversation script, written once, played on every channel (Telegram,
the web chat, the Zalo Bot Platform, the Zalo OA) through its real adapter against its loopback fake, on SQLite
and PostgreSQL. The drivers (tests/channels/drivers.py) turn "type this" and "pick the choice labelled that"
into the platform's own updates (a callback query, a `press`, a number typed, a button's payload); the
assertions below know nothing of the channel.

The script: a question without diacritics; a did-you-mean choice; the voluntary calculator to its result; a
call-back request whose consent text comes before any question for personal data, agreed to, with name,
phone, area, interest and time, confirmed and stored with the channel's consent; then /xoadulieu withdraws it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from bot.core.leads.records import LeadStatus
from bot.storage import leads
from tests.channels.drivers import DRIVERS, Citizen
from tests.channels.logs import clean_logs
from tests.databases import Store
from tests.fakes.zalo_bot_api import TOKEN as ZALO_BOT_TOKEN
from tests.fakes.zalo_oa_api import SECRET_KEY as ZALO_OA_SECRET_KEY
from tests.storage_queries import STAFF

NAME = "Lê Thị Mai"
CONSENT_LAW = "91/2025/QH15"


@pytest.fixture(autouse=True)
def logs_are_clean(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """No traceback; no token or secret of any channel; never the citizen's name or phone number."""
    with clean_logs(caplog, ZALO_BOT_TOKEN.partition(":")[2], ZALO_OA_SECRET_KEY, NAME, "912345678", "912 345 678"):
        yield
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def seen(texts: list[str]) -> str:
    return "\n\n".join(texts)


def asks_for_personal_data(text: str) -> bool:
    """A question for the citizen's name or number (the consent text names them too, but asks for nothing)."""
    return CONSENT_LAW not in text and ("họ tên" in text or "Số điện thoại" in text)


async def play_the_script(citizen: Citizen) -> None:
    # 1. A question typed without diacritics gets the answer on contributions.
    answer = seen(await citizen.say("bhxh tu nguyen dong bao nhieu 1 thang"))
    assert "22% mức thu nhập" in answer and "330.000 đồng" in answer and "<" not in answer

    # 2. A vague question gets a did-you-mean; the entry chosen is answered.
    offered = seen(await citizen.say("the bhyt"))
    assert "Có phải bạn muốn hỏi" in offered
    chosen = seen(await citizen.choose("Mất thẻ BHYT"))
    assert "VNeID" in chosen and "Có phải bạn muốn hỏi" not in chosen

    # 3. The voluntary calculator, started and answered to its result.
    income = seen(await citizen.say("tinh bhxh tu nguyen"))
    assert "mức thu nhập" in income
    group = seen(await citizen.say("3tr"))
    assert "Nhà nước hỗ trợ" in group
    months = seen(await citizen.choose("Không thuộc nhóm nào"))
    assert "tháng" in months
    result = seen(await citizen.choose("12 tháng"))
    assert "3.000.000 đồng" in result and "7.128.000 đồng" in result

    # 4. A call-back request: consent first, then the details, then the confirmation.
    consent = seen(await citizen.choose("Hỏi cán bộ tư vấn"))
    assert CONSENT_LAW in consent and "180 ngày" in consent
    name = seen(await citizen.choose("Đồng ý"))
    assert "họ tên" in name and CONSENT_LAW not in name
    phone = seen(await citizen.say(NAME))
    assert "Số điện thoại" in phone
    area = seen(await citizen.say("0912345678"))
    assert "xã, phường" in area
    interest = seen(await citizen.say("x tien yen"))
    assert "tư vấn về nội dung nào" in interest
    when = seen(await citizen.choose("BHXH tự nguyện"))
    assert "gọi" in when
    done = seen(await citizen.choose("Bất kỳ lúc nào"))
    assert "0912 345 678" in done and "/xoadulieu" in done

    # Nothing asked for (or repeated) personal data before the consent text was shown.
    consent_at = next(i for i, text in enumerate(citizen.transcript) if CONSENT_LAW in text)
    personal_at = next(i for i, text in enumerate(citizen.transcript) if asks_for_personal_data(text))
    assert consent_at < personal_at
    assert not any(NAME in text or "0912 345 678" in text for text in citizen.transcript[:consent_at])

    key = await citizen.session_key()
    async with citizen.app.database.transaction() as connection:
        (lead,) = await leads.open_leads(connection, STAFF)
    assert lead.session_key == key and lead.name == NAME and lead.phone_e164 == "+84912345678"
    assert lead.consent_channel is citizen.consent_channel and not lead.consent_oral
    assert lead.status is LeadStatus.NEW and lead.area_code == "qn-tien-yen" and lead.calculator is not None
    assert "BHXH tự nguyện, thu nhập 3.000.000 đồng/tháng, 12 tháng" in lead.calculator["summary"]

    # 5. /xoadulieu withdraws the request and erases the personal data.
    erased = seen(await citizen.say("/xoadulieu"))
    assert "Mình đã xóa" in erased
    async with citizen.app.database.transaction() as connection:
        assert await leads.open_leads(connection, STAFF) == []
        withdrawn = await leads.get(connection, lead.id)
        assert await leads.of_session(connection, key) == []
    assert withdrawn.status is LeadStatus.WITHDRAWN
    assert withdrawn.name is None and withdrawn.phone_e164 is None and withdrawn.anonymised_at is not None


@pytest.mark.parametrize("channel", list(DRIVERS))
async def test_the_conversation_script_runs_on_every_channel(store: Store, channel: str) -> None:
    async with DRIVERS[channel](store) as citizen:
        await play_the_script(citizen)
