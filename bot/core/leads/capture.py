"""A call-back request, step by step: consent -> name -> phone -> xã/phường -> interest -> time to call.
A number from someone else's contact card (not the sender's own Telegram account) is taken like a typed one
and confirmed by the citizen with a button before the request goes on.

Consent comes first and nothing personal is asked before it (Luật Bảo vệ dữ liệu cá nhân 91/2025/QH15,
Điều 9: consent is explicit, informed and never inferred from silence; Nghị định 356/2025/NĐ-CP: it must be
provable). Only the "Đồng ý" button (or typing exactly its label) continues: "Không, cảm ơn" ends the flow
with nothing stored, anything else asks again or is answered as a new question. The time of the agreement
is kept as `consent_at` and stored with the lead as proof, with the text's version and the channel.

The finish does not store anything itself: it returns a CreateLead effect, which the shell carries out in
the same transaction as the session, routes to the area's agent and confirms (who will call, by when).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, time, tzinfo

from bot.core.areas import MatchKind, match_area
from bot.core.flows.base import Choice, Context, Finished, Flow, Invalid, Step
from bot.core.flows.questions import looks_like_question
from bot.core.flows.runner import menu_button
from bot.core.knowledge import KnowledgeBase
from bot.core.leads.call_times import (
    ANY,
    EVENING,
    CallTime,
    button_label,
    describe,
    first_day,
    from_code,
    in_office_hours,
    local,
    read,
    slot_code,
    slots,
    upcoming,
)
from bot.core.leads.fields import call_time, person_name, tidy
from bot.core.leads.messages import phone_text
from bot.core.leads.office_hours import CallPolicy
from bot.core.leads.records import Interest
from bot.core.phone import PhoneError, parse_phone
from bot.core.render import day
from bot.core.text import fold
from bot.core.types import Answer, CreateLead, Inbound, InboundKind, Reply

NAME = "lead"
OTHER_AREA = "other"  # "Nơi khác": no area of the list; the office queue takes the lead
UNCONFIRMED = "unconfirmed"  # marks a number from someone else's contact card until the citizen confirms it


def available(kb: KnowledgeBase) -> bool:
    return kb.leads is not None


def consent_text(kb: KnowledgeBase) -> str:
    setup = kb.leads
    if setup is None:
        return kb.message("lead_not_available")
    return setup.consent_text()


# "tên tôi là Lan", "mình là Lan", "em tên Lan": the words before the name, folded.
_NAME_PREFIX = re.compile(
    r"^(?:(?:ho\s+)?ten\s+(?:cua\s+)?(?:toi|minh|em|tui|chau|con|anh|chi)\s+(?:la\s+)?"
    r"|(?:toi|minh|em|tui|chau|con)\s+(?:ten\s+)?la\s+"
    r"|(?:toi|minh|em|tui|chau|con)\s+ten\s+)"
)
_PHONE_IN_TEXT = re.compile(r"\+?\d[\d .()-]{6,}\d")


def _without_name_prefix(text: str) -> str:
    """The name without "tên tôi là" and the like (matched without diacritics, cut from the typed text)."""
    folded = fold(text)
    match = _NAME_PREFIX.match(folded) if len(folded) == len(text) else None
    return text[match.end() :] if match else text


# Words of a question, never of a name (folded): "bhyt là gì" typed at the name step is a new question.
QUESTION_WORDS = frozenset(
    {"gi", "sao", "bhxh", "bhyt", "bh", "nhieu", "khong", "ko", "hiem", "nao"}
)  # not "hong": Hồng


def parse_name(inbound: Inbound, context: Context) -> Answer:
    """A person's name as typed, with each word capitalised: "nguyễn thị lan" -> "Nguyễn Thị Lan".
    Tidied first (bot.core.leads.fields): no control or invisible characters, letters only, 2 to 60 characters."""
    name = person_name(_without_name_prefix(tidy(inbound.text)))
    if name is None or QUESTION_WORDS.intersection(fold(name).split()):
        raise Invalid(context.message("lead_invalid_name"))
    return " ".join(word[:1].upper() + word[1:] for word in name.split(" "))


def parse_phone_answer(inbound: Inbound, context: Context) -> Answer:
    """A typed number or the citizen's own contact card, as E.164; the reason in Vietnamese when it is not
    one. Someone else's contact card is a number like a typed one, to be confirmed: (E.164, UNCONFIRMED)."""
    if inbound.kind is InboundKind.OTHER_CONTACT:
        try:
            return (parse_phone(inbound.text).e164, UNCONFIRMED)
        except PhoneError as error:
            raise Invalid(str(error)) from None
    try:
        return parse_phone(inbound.text).e164
    except PhoneError as error:
        found = _PHONE_IN_TEXT.search(inbound.text)  # "số của mình là 0912 345 678 nhé"
        if found is None or found.group() == inbound.text.strip():
            raise Invalid(str(error)) from None
        try:
            return parse_phone(found.group()).e164
        except PhoneError as inner:
            raise Invalid(str(inner)) from None


def phone_number(answer: Answer | None) -> str:
    """The E.164 number of the phone step's answer (confirmed or not)."""
    return str(answer[0] if isinstance(answer, tuple) else answer or "")


def _phone_unconfirmed(answers: Mapping[str, Answer]) -> bool:
    return _after_consent(answers) and isinstance(answers.get("phone"), tuple)


def _phone_shown(answers: Mapping[str, Answer]) -> Mapping[str, object]:
    return {"phone": phone_text(phone_number(answers.get("phone")))}


YES_WORDS = frozenset({"dung", "dung roi", "dung vay", "phai", "co", "vang", "u", "ok", "yes", "chuan"})
NO_WORDS = frozenset({"khong", "ko", "k", "khong phai", "sai", "no", "nham", "so khac"})


def parse_phone_mine(inbound: Inbound, context: Context) -> Answer:
    """ "đúng", "phải", "vâng": the number is the citizen's; "không", "sai": it is not."""
    typed = " ".join(fold(inbound.text).replace(".", " ").replace("!", " ").split())
    if typed in YES_WORDS:
        return True
    if typed in NO_WORDS:
        return False
    raise Invalid(context.message("lead_phone_confirm_again"))


def check_phone_mine(value: Answer, context: Context) -> None:
    """Not the citizen's number: the phone step is asked again (Invalid naming it forgets the number)."""
    if value is not True:
        raise Invalid(context.message("lead_phone_type_yours"), step="phone")


def parse_area(inbound: Inbound, context: Context) -> Answer:
    """The area's code; up to three "did you mean" buttons when the name is close to several or misspelt."""
    setup = context.kb.leads
    if setup is None:
        raise Invalid(context.message("lead_not_available"))
    match = match_area(inbound.text, setup.areas)
    if match.kind == MatchKind.EXACT and match.area is not None:
        return match.area.code
    if match.kind == MatchKind.CHOICES:
        suggestions = tuple((area.code, area.name) for area in match.choices)
        raise Invalid(context.message("lead_area_choices"), suggestions=suggestions)
    raise Invalid(context.message("lead_area_unknown"))


def _other_area(answers: Mapping[str, Answer]) -> bool:
    return _after_consent(answers) and answers.get("area") == OTHER_AREA


def parse_place(inbound: Inbound, context: Context) -> Answer:
    """The xã/phường and tỉnh of a citizen outside the areas served, as typed (tidied, at most 60 characters
    of letters, digits and everyday punctuation)."""
    text = call_time(inbound.text)
    if text is None or looks_like_question(text):
        raise Invalid(context.message("lead_invalid_place"))
    return text


def resolve_area(code: str, context: Context) -> Answer | None:
    """A "did you mean" button's area code, if the area is still served."""
    setup = context.kb.leads
    return code if setup is not None and setup.area(code) is not None else None


# Words found anywhere in the citizen's sentence ("bảo hiểm y tế cho cả nhà"); /themlead matches its whole
# field against another list (bot.core.leads.offline), where "2" means both.
INTEREST_WORDS = {
    Interest.HOUSEHOLD_BHYT: ("bhyt", "y te", "the bao hiem y te", "ho gia dinh"),
    Interest.VOLUNTARY_BHXH: ("bhxh", "xa hoi", "tu nguyen", "huu", "luong huu"),
}


def parse_interest(inbound: Inbound, context: Context) -> Answer:
    """ "bhyt", "bảo hiểm y tế cho cả nhà", "bhxh tự nguyện", "cả hai"."""
    text = " ".join(fold(inbound.text).split())
    if "ca hai" in text or "both" in text:
        return Interest.BOTH.value
    found = [interest for interest, words in INTEREST_WORDS.items() if any(word in text for word in words)]
    if len(found) == 1:
        return found[0].value
    if len(found) > 1:
        return Interest.BOTH.value
    raise Invalid(context.message("flow_choose"))


def _calls(kb: KnowledgeBase) -> CallPolicy:
    return kb.leads.calls if kb.leads is not None else CallPolicy()


def time_offers(kb: KnowledgeBase, now: datetime | None) -> tuple[tuple[str, str], ...]:
    """The time step's buttons: the next two office slots with their dates, the evening when the office
    calls outside its hours, and "any time"."""
    offers: list[tuple[str, str]] = []
    if now is not None:
        policy = _calls(kb)
        today = local(now, policy).date()
        offers += [(slot_code(on, part), button_label(kb, on, part, today)) for on, part in slots(now, policy)]
        if policy.outside_hours:
            offers.append((EVENING, kb.message("lead_time_button_eve")))
    offers.append((ANY, kb.message("lead_time_button_any")))
    return tuple(offers)


def resolve_time(code: str, context: Context) -> Answer | None:
    """A time button's code: a dated slot (None once its day is past), the evening or any time."""
    kb = context.kb
    if code == ANY:
        return CallTime(describe(kb, None, ANY), None, ANY).answer()
    policy = _calls(kb)
    if code == EVENING and policy.outside_hours:
        now = context.now or datetime.combine(context.today, time())
        on = first_day(read("tối", context.today), now, policy) or context.today
        return CallTime(describe(kb, on, EVENING), on, EVENING).answer()
    slot = from_code(code)
    if slot is None or slot[0] < context.today:
        return None
    return CallTime(describe(kb, *slot), *slot).answer()


def _next_slot(kb: KnowledgeBase, now: datetime, policy: CallPolicy) -> str:
    found = slots(now, policy)
    text = describe(kb, *found[0]) if found else describe(kb, None, ANY)
    return text[:1].lower() + text[1:]  # in the middle of a sentence


def parse_call_time(inbound: Inbound, context: Context) -> Answer:
    """ "chiều mai", "sau 5h chiều", "thứ bảy", "15/12 buổi sáng": a day and a part of the day (bot.core.leads.
    call_times); other text of at most 60 characters of letters, digits and everyday punctuation is kept as
    typed (never = + @ and the like: the office opens it in a spreadsheet). A time already past, or outside
    office hours when the office does not call then, is refused with the next office slot."""
    text = call_time(inbound.text)
    if text is None:
        raise Invalid(context.message("lead_invalid_time"))
    kb, policy = context.kb, _calls(context.kb)
    now = context.now or datetime.combine(context.today, time())
    today = local(now, policy).date() if context.now is not None else context.today
    reading = read(text, today)
    if reading.on is None and not reading.part:
        if looks_like_question(text):  # "có mất phí không": the engine answers it, with a way back
            raise Invalid(context.message("lead_invalid_time"))
        return CallTime(text).answer()
    if reading.on is None and reading.part == ANY:
        return CallTime(describe(kb, None, ANY), None, ANY).answer()
    part = reading.part or ANY
    on = first_day(reading, now, policy)
    if on is None or on < today or not upcoming(on, part, now, policy):
        raise Invalid(context.message("lead_time_past", slot=_next_slot(kb, now, policy)))
    if not policy.outside_hours and not in_office_hours(on, part, policy):
        hours = policy.hours
        raise Invalid(
            context.message(
                "lead_time_outside",
                opens=f"{hours.opens:%H:%M}",
                closes=f"{hours.closes:%H:%M}",
                slot=_next_slot(kb, now, policy),
            )
        )
    return CallTime(describe(kb, on, part), on, part).answer()


def finish(context: Context) -> Finished:
    answers = context.answers
    if answers.get("consent") is not True:
        return Finished(context.message("lead_declined"), (menu_button(context.kb),))
    when = CallTime.from_answer(answers["call_time"])
    lead = CreateLead(
        name=str(answers["name"]),
        phone_e164=phone_number(answers["phone"]),
        area_code=str(answers["area"]),
        interest=str(answers["interest"]),
        call_time=when.text,
        consent_at=str(answers.get("consent_at") or ""),
        call_on=when.on.isoformat() if when.on else "",
        call_part=when.part,
        place_typed=str(answers.get("place") or ""),
    )
    return Finished(context.message("lead_thanks"), (), (lead,))


def _after_consent(answers: Mapping[str, Answer]) -> bool:
    return answers.get("consent") is True


FLOW = Flow(
    name=NAME,
    intro="lead_intro",
    steps=(
        Step(
            "consent",
            "lead_intro",
            (Choice("yes", True, "lead_agree"), Choice("no", False, "lead_decline")),
            None,  # no parser: typed words are never consent, only the button or its exact label
            question_text=consent_text,
            stamp=True,
            invalid="lead_consent_again",
        ),
        Step("name", "lead_name_q", (), parse_name, when=_after_consent, invalid="lead_invalid_name", own_words=True),
        Step(
            "phone",
            "lead_phone_q",
            (),
            parse_phone_answer,
            accepts=frozenset({InboundKind.TEXT, InboundKind.CONTACT, InboundKind.OTHER_CONTACT}),
            when=_after_consent,
            contact_button="lead_phone_button",
        ),
        Step(  # someone else's contact card: the citizen says whether the number on it is theirs
            "phone_confirm",
            "lead_phone_confirm_q",
            (Choice("yes", True, "lead_phone_mine"), Choice("no", False, "lead_phone_not_mine")),
            parse_phone_mine,
            check_phone_mine,
            when=_phone_unconfirmed,
            invalid="lead_phone_confirm_again",
            question_params=_phone_shown,
        ),
        Step(
            "area",
            "lead_area_q",
            (Choice(OTHER_AREA, OTHER_AREA, "lead_area_other"),),
            parse_area,
            when=_after_consent,
            resolve=resolve_area,
            invalid="lead_area_unknown",
        ),
        Step(  # "Nơi khác": the place as typed, kept for the office (never replaced with "other")
            "place",
            "lead_place_q",
            (),
            parse_place,
            when=_other_area,
            invalid="lead_invalid_place",
        ),
        Step(
            "interest",
            "lead_interest_q",
            (
                Choice("bhxh", Interest.VOLUNTARY_BHXH.value, "lead_interest_bhxh"),
                Choice("bhyt", Interest.HOUSEHOLD_BHYT.value, "lead_interest_bhyt"),
                Choice("both", Interest.BOTH.value, "lead_interest_both"),
            ),
            parse_interest,
            when=_after_consent,
        ),
        Step(
            "call_time",
            "lead_time_q",
            (),
            parse_call_time,
            when=_after_consent,
            invalid="lead_invalid_time",
            resolve=resolve_time,
            offers=time_offers,
        ),
    ),
    finish=finish,
    offer="lead_offer_yes",
    restart="lead_offer_yes",
    resume="lead_resume",
    cancelled="lead_cancelled",
    expired="lead_expired",
    messages=(
        "lead_declined",
        "lead_thanks",
        "lead_area_choices",
        "lead_not_available",
        "lead_offer",
        "lead_offer_no",
        "lead_confirm_agent",
        "lead_confirm_office",
        "lead_confirm_due",
        "lead_confirm_withdraw",
        "lead_erased",
        "lead_erase_button",
        "lead_agree",
        "lead_decline",
        "lead_phone_type_yours",
        "lead_time_button_am",
        "lead_time_button_pm",
        "lead_time_button_eve",
        "lead_time_button_any",
        "lead_time_am",
        "lead_time_pm",
        "lead_time_eve",
        "lead_time_day",
        "lead_time_from",
        "lead_time_any_text",
        "lead_time_past",
        "lead_time_outside",
        "lead_time_as_typed",
        "lead_confirm_elsewhere",
        "lead_confirm_nobody",
    ),
    available=available,
)


def confirmation(
    kb: KnowledgeBase,
    *,
    agent_name: str | None,
    area_name: str,
    phone_e164: str,
    call_time: str,
    due: datetime | None,
    timezone: tzinfo,
    place_typed: str = "",
    office_chat: bool = True,
    time_as_typed: bool = False,
) -> Reply:
    """What the citizen reads once the lead is stored: who will call, on which number, when (the time as the
    agent's card shows it), by when at the latest, and how to withdraw. `agent_name` None: the office queue
    takes it (no agent serves the area yet). A citizen outside the areas served (`place_typed`) is told
    plainly that the office will call, or, with no office chat (`office_chat` False), that nobody here can
    and where to ask."""
    office = kb.leads.consent.office if kb.leads is not None else ""
    values = {"area": area_name, "phone": phone_text(phone_e164), "time": call_time, "office": office}
    if place_typed and not agent_name and not office_chat:
        return Reply(kb.message("lead_confirm_nobody").format(place=place_typed), (menu_button(kb),))
    if agent_name:
        parts = [kb.message("lead_confirm_agent").format(agent=agent_name, **values)]
    elif place_typed:
        parts = [kb.message("lead_confirm_elsewhere").format(place=place_typed, **values)]
    else:
        parts = [kb.message("lead_confirm_office").format(**values)]
    if time_as_typed:
        parts.append(kb.message("lead_time_as_typed"))
    if due is not None:
        local = due.astimezone(timezone)
        parts.append(kb.message("lead_confirm_due").format(due=f"{local:%H:%M} ngày {day(local.date())}"))
    parts.append(kb.message("lead_confirm_withdraw"))
    return Reply("\n\n".join(parts), (menu_button(kb),))
