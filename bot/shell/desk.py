"""The agents' desk: what a collection agent (đại lý thu) or office staff do with leads from their chat.

    desk = Desk(database, context, areas, staff_chat_ids={...}, now=clock)
    answer = await desk.press(chat_id, "lead:12:claim", update_id)        # a button under a lead
    answer = await desk.command(chat_id, "leads", "", update_id)         # /leads, /ghichu, /themlead

The chat id says who acts: the active agent using that chat (their own leads only), staff (STAFF_CHAT_IDS
and the office chat: every lead), or nobody (a forwarded button, a citizen typing /leads), who is told so
politely while nothing changes. Each request is one transaction: the update is recorded as handled (a
re-delivered update is answered with silence), the lead changes with its history row, and any message to
another chat goes to the outbox, all or nothing. Replies are core Replies for the channel to render; after
a button press `edit` replaces the pressed message with the lead's new status and remaining buttons.

Buttons: bot.core.actions.LeadOperation (a LeadAction, or the lead shown again: in place, or as a new message
from the /leads list) and LeadTransfer (the second step of Chuyển).

Logs name update ids, lead ids, actions and statuses, never a name, a phone number or a note.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.actions import OFFICE, LeadOperation, LeadTransfer, LeadView, parse_action
from bot.core.areas import Area
from bot.core.leads.consent import Consent, ConsentChannel
from bot.core.leads.fields import MAX_NOTE, tidy
from bot.core.leads.messages import lead_buttons, lead_details, lead_line
from bot.core.leads.offline import USAGE_OFFLINE, FormError, parse_offline_lead
from bot.core.leads.records import (
    ACTION_LABELS,
    ALLOWED_ACTIONS,
    INTEREST_LABELS,
    STATUS_LABELS,
    Actor,
    LeadAction,
    LeadRecord,
    NewLead,
    may_handle,
)
from bot.core.leads.routing import LeadContext
from bot.core.types import Button, Clock, Reply
from bot.shell.transactions import DEFAULT_RETRY, Retry
from bot.storage import agents as agent_store
from bot.storage import leads as lead_store
from bot.storage import updates
from bot.storage.agents import Agent
from bot.storage.db import Database
from bot.storage.leads import LeadErased, LeadNotFound, NotAllowed

log = logging.getLogger(__name__)

T = TypeVar("T")

COMMANDS = frozenset({"leads", "ghichu", "themlead"})
ORAL_CONSENT_VERSION = "oral"  # what /themlead stores as the consent's version: given orally to the agent
MAX_LISTED = 50  # leads written out by /leads; the rest are counted
MAX_LIST_BUTTONS = 20  # "#12 …" buttons under /leads, each opening one lead
MAX_NOTE_CHARS = MAX_NOTE
DEFAULT_THEMLEAD_PER_HOUR = 20  # THEMLEAD_PER_HOUR
THEMLEAD_WINDOW = timedelta(hours=1)

NOT_YOURS = "Yêu cầu này không phải của bạn: anh/chị chỉ xem và thao tác được các yêu cầu được giao cho mình."
NOT_AN_AGENT = (
    "Lệnh này dành cho đại lý thu và cán bộ BHXH. Nếu anh/chị là đại lý thu, xin liên hệ văn phòng BHXH để "
    "được thêm vào danh sách."
)
NO_OPEN_LEADS = "Anh/chị không có yêu cầu nào đang mở."
USAGE_NOTE = "Cách ghi chú: /ghichu <số yêu cầu> <nội dung>, ví dụ: /ghichu 12 Hẹn gọi lại sáng thứ Hai."
_LEAD_ID = re.compile(r"^#?(\d{1,18})$")


@dataclass(frozen=True)
class DeskAnswer:
    """What to show: `edit` replaces the message whose button was pressed, `replies` are new messages."""

    replies: tuple[Reply, ...] = ()
    edit: Reply | None = None
    summary: str = "-"  # for the channel's log line: "lead 12 claim -> claimed" (nothing personal)


# -- the desk -----------------------------------------------------------------------------------------


class Desk:
    """The agents' side of the leads, for one channel ("telegram") on one database."""

    def __init__(
        self,
        database: Database,
        context: LeadContext,
        areas: Sequence[Area],
        staff_chat_ids: Collection[int] = (),
        *,
        channel: str = "telegram",
        now: Clock,
        retry: Retry = DEFAULT_RETRY,
        themlead_per_hour: int = DEFAULT_THEMLEAD_PER_HOUR,
    ) -> None:
        self.database = database
        self.context = context
        self.areas = tuple(areas)
        # The office chat gets the office queue's leads with their buttons: its members act as staff.
        office = () if context.office_chat_id is None else (context.office_chat_id,)
        self.staff_chat_ids = frozenset((*staff_chat_ids, *office))
        self.channel = channel
        self.now = now
        self.retry = retry
        self.themlead_per_hour = themlead_per_hour  # leads one chat may register with /themlead in an hour

    def serves_group(self, chat_id: int) -> bool:
        """Whether the desk answers in this group chat: only in the office's (OFFICE_CHAT_ID, STAFF_CHAT_IDS).
        In any other group the channel says nothing, not even who may use the commands."""
        return chat_id in self.staff_chat_ids

    # -- entry points ---------------------------------------------------------------------------------

    async def press(self, chat_id: int, data: str, update_id: int | None = None) -> DeskAnswer | None:
        """A button under a lead; None when this update was handled before (send nothing)."""
        parsed = parse_action(data)
        if not isinstance(parsed, LeadOperation | LeadTransfer):  # a forged button, one no database holds
            return DeskAnswer((Reply("Nút này không còn dùng được."),), summary="unknown button")

        async def work(connection: AsyncConnection, actor: Actor | None) -> DeskAnswer:
            if actor is None:
                return DeskAnswer(
                    (Reply(NOT_YOURS),), summary=f"lead {parsed.lead_id} {parsed.operation}: not an agent"
                )
            return await self._press(connection, actor, parsed)

        return await self._run(chat_id, update_id, work)

    async def command(self, chat_id: int, name: str, argument: str, update_id: int | None = None) -> DeskAnswer | None:
        """/leads, /ghichu or /themlead with the text after the command; None when handled before."""
        handlers = {"leads": self._list, "ghichu": self._note, "themlead": self._offline_lead}
        handler = handlers.get(name)
        if handler is None:
            raise ValueError(f"not a desk command: {name}")

        async def work(connection: AsyncConnection, actor: Actor | None) -> DeskAnswer:
            if actor is None:  # the chat id is what staff need to register an agent
                refusal = f"{NOT_AN_AGENT}\nMã chat của anh/chị: {chat_id}"
                return DeskAnswer((Reply(refusal),), summary=f"/{name}: not an agent")
            return await handler(connection, actor, argument.strip())

        return await self._run(chat_id, update_id, work)

    # -- the transaction ------------------------------------------------------------------------------

    async def _run(
        self,
        chat_id: int,
        update_id: int | None,
        work: Callable[[AsyncConnection, Actor | None], Awaitable[DeskAnswer]],
    ) -> DeskAnswer | None:
        """`work` in one transaction with the update recorded, retried while the database is busy or away."""

        async def once() -> DeskAnswer | None:
            async with self.database.transaction() as connection:
                if update_id is not None and not await updates.record(connection, self.channel, update_id, self.now()):
                    log.info("desk: update %s already handled", update_id)
                    return None
                return await work(connection, await self.actor(connection, chat_id))

        return await self.retry.run(once, f"desk, channel {self.channel}, update {update_id}")

    async def actor(self, connection: AsyncConnection, chat_id: int) -> Actor | None:
        """Staff, the active agent using this chat, or None (nobody the desk serves)."""
        agent = await agent_store.by_chat(connection, chat_id)
        if chat_id in self.staff_chat_ids:
            return Actor(f"staff:{chat_id}", agent_id=agent.id if agent else None, staff=True)
        if agent is not None:
            return Actor(f"agent:{chat_id}", agent_id=agent.id)
        return None

    # -- buttons --------------------------------------------------------------------------------------

    async def _press(self, connection: AsyncConnection, actor: Actor, data: LeadOperation | LeadTransfer) -> DeskAnswer:
        what = f"lead {data.lead_id} {data.operation}"
        try:  # locked until the transaction ends: no other press changes it in between
            lead = await lead_store.get(connection, data.lead_id, lock=True)
        except LeadNotFound:
            return DeskAnswer((Reply(f"Không tìm thấy yêu cầu #{data.lead_id}."),), summary=f"{what}: not found")
        if not may_handle(actor, lead):
            return DeskAnswer((Reply(NOT_YOURS),), summary=f"{what}: not allowed")
        if isinstance(data, LeadTransfer):
            return await self._transfer(connection, actor, lead, data.agent_id)
        if data.operation == LeadView.OPEN:
            return DeskAnswer((self.card(lead, actor),), summary=what)
        if data.operation == LeadView.BACK:
            return DeskAnswer(edit=self.card(lead, actor), summary=what)
        action = LeadAction(data.operation)
        if action not in ALLOWED_ACTIONS.get(lead.status, ()):
            return self._stale(lead, actor, action)
        if action == LeadAction.TRANSFER:
            return await self._transfer_menu(connection, actor, lead)
        moved = await lead_store.act(connection, lead.id, action, actor, self.now())
        log.info("desk: lead %s %s -> %s", lead.id, action.value, moved.status.value)
        return DeskAnswer(edit=self.card(moved, actor), summary=f"{what} -> {moved.status.value}")

    def _stale(self, lead: LeadRecord, actor: Actor, action: LeadAction) -> DeskAnswer:
        """The button no longer applies: the lead as it is now, and why nothing happened."""
        why = (
            f"Yêu cầu #{lead.id} đang ở trạng thái “{STATUS_LABELS[lead.status]}”: không thể “{ACTION_LABELS[action]}”."
        )
        return DeskAnswer((Reply(why),), self.card(lead, actor), f"lead {lead.id} {action.value}: stale")

    async def _transfer_menu(self, connection: AsyncConnection, actor: Actor, lead: LeadRecord) -> DeskAnswer:
        """Chuyển, first step: the other active agents of the lead's area and the office queue to choose from."""
        loads = [
            load
            for load in await agent_store.loads(connection)
            if load.agent.area_code == lead.area_code and load.agent.id != lead.agent_id
        ]
        buttons = [
            Button(f"{load.agent.name} ({load.open_leads} đang mở)", LeadTransfer(lead.id, load.agent.id).data())
            for load in loads
        ]
        if lead.agent_id is not None:
            buttons.append(Button("Văn phòng", LeadTransfer(lead.id, None).data()))
        buttons.append(Button("Quay lại", LeadOperation(lead.id, LeadView.BACK).data()))
        area = self.context.area_name(lead.area_code)
        question = "Chuyển cho ai?" if len(buttons) > 1 else f"{area} chưa có đại lý nào khác để chuyển."
        text = f"{self._card_text(lead)}\n\n{question}"
        return DeskAnswer(edit=Reply(text, tuple(buttons)), summary=f"lead {lead.id} transfer: {len(loads)} agent(s)")

    async def _transfer(
        self, connection: AsyncConnection, actor: Actor, lead: LeadRecord, agent_id: int | None
    ) -> DeskAnswer:
        """Chuyển, second step: hand the lead to the chosen agent of its area (None: the office queue)."""
        what = f"lead {lead.id} transfer"
        target = OFFICE if agent_id is None else str(agent_id)
        if LeadAction.TRANSFER not in ALLOWED_ACTIONS.get(lead.status, ()):
            return self._stale(lead, actor, LeadAction.TRANSFER)
        to_agent: Agent | None = None
        if agent_id is not None:
            to_agent = await agent_store.by_id(connection, agent_id)
            if to_agent is None or not to_agent.active or to_agent.area_code != lead.area_code:
                menu = await self._transfer_menu(connection, actor, lead)
                sorry = Reply("Đại lý này không còn nhận yêu cầu của xã/phường này. Anh/chị chọn lại giúp.")
                return DeskAnswer((sorry,), menu.edit, f"{what}: target gone")
        if (to_agent.id if to_agent else None) == lead.agent_id:
            return DeskAnswer(edit=self.card(lead, actor), summary=f"{what}: already there")
        moved = await lead_store.transfer(connection, lead.id, actor, self.context, self.now(), to_agent)
        where = f"đại lý {to_agent.name}" if to_agent else "văn phòng"
        log.info("desk: lead %s transferred to %s", lead.id, f"agent {to_agent.id}" if to_agent else "the office queue")
        text = f"Đã chuyển yêu cầu #{lead.id} cho {where}."
        if may_handle(actor, moved):
            return DeskAnswer(edit=self.card(moved, actor, text), summary=f"{what} -> {target}")
        return DeskAnswer(edit=Reply(text), summary=f"{what} -> {target}")

    # -- commands -------------------------------------------------------------------------------------

    async def _list(self, connection: AsyncConnection, actor: Actor, _: str) -> DeskAnswer:
        found = await lead_store.open_leads(connection, actor)
        if not found:
            return DeskAnswer((Reply(NO_OPEN_LEADS),), summary="/leads: 0")
        whose = "Tất cả yêu cầu đang mở" if actor.staff else "Yêu cầu đang mở của anh/chị"
        lines = [lead_line(lead, self.context.area_name(lead.area_code), self.context.timezone) for lead in found]
        if len(lines) > MAX_LISTED:
            lines = [*lines[:MAX_LISTED], f"… và {len(lines) - MAX_LISTED} yêu cầu khác."]
        text = f"{whose} ({len(found)}):\n" + "\n".join(lines)
        buttons = tuple(
            Button(f"#{lead.id} {lead.name or ''}".strip(), LeadOperation(lead.id, LeadView.OPEN).data())
            for lead in found[:MAX_LIST_BUTTONS]
        )
        return DeskAnswer((Reply(text, buttons),), summary=f"/leads: {len(found)}")

    async def _note(self, connection: AsyncConnection, actor: Actor, argument: str) -> DeskAnswer:
        typed_id, _, note = argument.partition(" ")
        found = _LEAD_ID.match(typed_id)
        note = tidy(note, keep_lines=True)  # no control characters, no invisible formatting
        if found is None or not note:
            return DeskAnswer((Reply(USAGE_NOTE),), summary="/ghichu: usage")
        if len(note) > MAX_NOTE_CHARS:
            return DeskAnswer(
                (Reply(f"Ghi chú dài quá (tối đa {MAX_NOTE_CHARS} ký tự)."),), summary="/ghichu: too long"
            )
        lead_id = int(found.group(1))
        try:
            lead = await lead_store.add_note(connection, lead_id, actor, self.now(), note)
        except LeadNotFound:
            return DeskAnswer((Reply(f"Không tìm thấy yêu cầu #{lead_id}."),), summary=f"/ghichu {lead_id}: not found")
        except NotAllowed:
            return DeskAnswer((Reply(NOT_YOURS),), summary=f"/ghichu {lead_id}: not allowed")
        except LeadErased:
            erased = f"Yêu cầu #{lead_id} đã xóa dữ liệu cá nhân: không ghi chú thêm được."
            return DeskAnswer((Reply(erased),), summary=f"/ghichu {lead_id}: anonymised")
        log.info("desk: lead %s note added", lead_id)
        done = f"Đã ghi chú vào yêu cầu #{lead.id} (trạng thái vẫn là “{STATUS_LABELS[lead.status]}”)."
        return DeskAnswer((Reply(done),), summary=f"/ghichu {lead_id}")

    async def _offline_lead(self, connection: AsyncConnection, actor: Actor, argument: str) -> DeskAnswer:
        if not argument:
            return DeskAnswer((Reply(USAGE_OFFLINE),), summary="/themlead: usage")
        limited = await self._themlead_limit(connection, actor)
        if limited is not None:
            return limited
        agent = await agent_store.by_id(connection, actor.agent_id) if actor.agent_id is not None else None
        own_area = next((area for area in self.areas if agent and area.code == agent.area_code), None)
        try:
            form = parse_offline_lead(argument, self.areas, own_area)
        except FormError as exc:
            return DeskAnswer((Reply(str(exc)),), summary="/themlead: form refused")
        now = self.now()
        new = NewLead(
            session_key=None,
            area_code=form.area.code,
            name=form.name,
            phone_e164=form.phone.e164,
            interest=form.interest,
            consent=Consent(ORAL_CONSENT_VERSION, now, ConsentChannel.ORAL, oral=True),
            call_time=form.call_time,
        )
        mine = agent is not None and agent.area_code == form.area.code
        created = await lead_store.create(
            connection,
            new,
            self.context,
            now,
            self.context.contact_due(now),
            actor,
            assign_to=agent if mine else None,
            notify=not mine,
        )
        lead = created.lead
        log.info("desk: lead %s registered offline (%s)", lead.id, "own" if mine else "routed")
        head = f"Đã ghi nhận yêu cầu #{lead.id} ({INTEREST_LABELS[form.interest]}), đồng ý bằng lời nói."
        if mine:
            return DeskAnswer((self.card(lead, actor, head),), summary=f"/themlead -> lead {lead.id} own")
        if created.agent is not None:
            routed = f"{head}\nĐã gửi cho đại lý {created.agent.name} phụ trách {form.area.name}."
        else:
            routed = f"{head}\n{form.area.name} chưa có đại lý: yêu cầu vào hàng chờ văn phòng."
        buttons = lead_buttons(lead.id, lead.status) if may_handle(actor, lead) else ()
        return DeskAnswer((Reply(routed, buttons),), summary=f"/themlead -> lead {lead.id} routed")

    async def _themlead_limit(self, connection: AsyncConnection, actor: Actor) -> DeskAnswer | None:
        """The refusal once this chat registered THEMLEAD_PER_HOUR leads in the last hour, else None.

        Counted from the leads table (every bot process shares it; an agent's row is locked while counting,
        so two processes cannot both take the last place), over a sliding hour: a stolen or careless account
        cannot fill the office's queue and the agents' phones with leads no citizen asked for."""
        now = self.now()
        recent = await lead_store.oral_leads_registered_since(connection, actor, now - THEMLEAD_WINDOW)
        if len(recent) < self.themlead_per_hour:
            return None
        opens = (recent[-self.themlead_per_hour] + THEMLEAD_WINDOW).astimezone(self.context.timezone)
        text = (
            f"Anh/chị đã ghi nhận {self.themlead_per_hour} yêu cầu trong một giờ qua, mức tối đa cho mỗi người. "
            f"Anh/chị ghi tiếp được từ {opens:%H:%M}; cần ghi nhiều hơn, xin gửi danh sách cho văn phòng BHXH."
        )
        log.info("desk: /themlead refused, %s leads in the last hour", len(recent))
        return DeskAnswer((Reply(text),), summary="/themlead: limit reached")

    # -- what the agent sees --------------------------------------------------------------------------

    def _card_text(self, lead: LeadRecord) -> str:
        area = self.context.area_name(lead.area_code)
        head = f"Yêu cầu #{lead.id} · {STATUS_LABELS[lead.status]}"
        return f"{head}\n{lead_details(lead, area, self.context.timezone)}"

    def card(self, lead: LeadRecord, actor: Actor, head: str = "") -> Reply:
        """The lead with its status and the buttons that still apply (none for one the actor may not handle)."""
        text = self._card_text(lead)
        if head:
            text = f"{head}\n\n{text}"
        if lead.open:
            text += f"\nGhi chú: /ghichu {lead.id} <nội dung>"
        buttons = lead_buttons(lead.id, lead.status) if may_handle(actor, lead) else ()
        return Reply(text, buttons)
