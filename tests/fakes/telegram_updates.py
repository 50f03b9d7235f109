"""Updates as Telegram sends them when a citizen writes, presses a button or edits a message.

Each builder takes the update id and the chat id, so a test can deliver the same update twice.
"""

from __future__ import annotations

import time
from typing import Any

BOT_USER = {"id": 424242, "is_bot": True, "first_name": "BHXH hỏi đáp", "username": "bhxh_fake_bot"}


def chat(chat_id: int, chat_type: str = "private") -> dict[str, Any]:
    if chat_type == "private":
        return {"id": chat_id, "type": "private", "first_name": "Công dân"}
    return {"id": chat_id, "type": chat_type, "title": "Nhóm xã"}


def _citizen(chat_id: int) -> dict[str, Any]:
    return {"id": abs(chat_id), "is_bot": False, "first_name": "Công dân"}


def _message(chat_id: int, message_id: int, chat_type: str = "private", **content: Any) -> dict[str, Any]:
    sender = _citizen(chat_id)
    return {"message_id": message_id, "date": int(time.time()), "chat": chat(chat_id, chat_type), "from": sender} | (
        content
    )


def text_message(update_id: int, chat_id: int, text: str, chat_type: str = "private") -> dict[str, Any]:
    return {"update_id": update_id, "message": _message(chat_id, update_id, chat_type, text=text)}


def command(update_id: int, chat_id: int, name: str) -> dict[str, Any]:
    """The command /name as Telegram sends it: the text and a bot_command entity at offset 0."""
    text = f"/{name}"
    entities = [{"type": "bot_command", "offset": 0, "length": len(text)}]
    return {"update_id": update_id, "message": _message(chat_id, update_id, text=text, entities=entities)}


MEDIA: dict[str, dict[str, Any]] = {
    "sticker": {
        "sticker": {"file_id": "st", "file_unique_id": "st", "type": "regular", "width": 512, "height": 512,
                    "is_animated": False, "is_video": False}
    },
    "photo": {"photo": [{"file_id": "ph", "file_unique_id": "ph", "width": 90, "height": 90}]},
    "voice": {"voice": {"file_id": "vo", "file_unique_id": "vo", "duration": 3}},
    "video": {"video": {"file_id": "vi", "file_unique_id": "vi", "width": 64, "height": 64, "duration": 2}},
    "document": {"document": {"file_id": "do", "file_unique_id": "do", "file_name": "to-khai.pdf"}},
    "location": {"location": {"latitude": 21.0285, "longitude": 105.8542}},
    "contact": {"contact": {"phone_number": "+84912345678", "first_name": "Công dân"}},
}  # fmt: skip


def media_message(update_id: int, chat_id: int, kind: str) -> dict[str, Any]:
    """A message without text: one of MEDIA's kinds (sticker, photo, voice, video, document, location, contact)."""
    return {"update_id": update_id, "message": _message(chat_id, update_id, **MEDIA[kind])}


def contact_message(update_id: int, chat_id: int, phone: str) -> dict[str, Any]:
    """The citizen pressed the "share my phone number" button: their own contact card."""
    contact = {"phone_number": phone, "first_name": "Công dân", "user_id": abs(chat_id)}
    return {"update_id": update_id, "message": _message(chat_id, update_id, contact=contact)}


def shared_contact_message(update_id: int, chat_id: int, phone: str, user_id: int | None = None) -> dict[str, Any]:
    """A contact card the citizen sent from their address book: someone else's (`user_id` is that person's
    Telegram id, None when they are not on Telegram)."""
    contact = {"phone_number": phone, "first_name": "Người quen"} | ({"user_id": user_id} if user_id else {})
    return {"update_id": update_id, "message": _message(chat_id, update_id, contact=contact)}


def edited_message(update_id: int, chat_id: int, text: str | None = None, message_id: int = 1) -> dict[str, Any]:
    """A message edited by the citizen: new text, or (text None) a live location that moved."""
    content = {"text": text} if text is not None else MEDIA["location"]
    message = _message(chat_id, message_id, edit_date=int(time.time()), **content)
    return {"update_id": update_id, "edited_message": message}


def callback_query(update_id: int, chat_id: int, data: str, message_id: int = 1) -> dict[str, Any]:
    """A press on an inline button with this callback data, under a message the bot sent earlier."""
    message = _message(chat_id, message_id, text="…") | {"from": BOT_USER}
    query = {"id": f"q{update_id}", "from": _citizen(chat_id), "chat_instance": f"ci{chat_id}", "data": data}
    query["message"] = message
    return {"update_id": update_id, "callback_query": query}


def update_kind(update: dict[str, Any]) -> str:
    return next(key for key in update if key != "update_id")
