"""Updates lightened before parsing (bot/telegram/incoming.py): a pressed message keeps what the
bot reads of it, and nothing else in an update changes."""

from __future__ import annotations

import copy
import json

from telegram import Bot, Message, Update

from bot.telegram.incoming import UpdatesRequest, lighten

CHAT = {"id": 42, "type": "private", "first_name": "Sam"}
DAY_MESSAGE = {
    "message_id": 17, "date": 1_800_000_000, "chat": CHAT, "from": {"id": 1, "is_bot": True, "first_name": "Bot"},
    "text": "Day 1 of 30\n" + "a reading " * 300,
    "entities": [{"type": "bold", "offset": 0, "length": 11}],
    "reply_markup": {"inline_keyboard": [[{"text": str(n), "callback_data": f"pain:{n}"} for n in range(11)]]},
}


def _press(message: dict) -> dict:
    return {
        "update_id": 5,
        "callback_query": {
            "id": "cbq-1", "chat_instance": "ci", "data": "pain:6",
            "from": {"id": 42, "is_bot": False, "first_name": "Sam"}, "message": message,
        },
    }


def test_a_pressed_message_keeps_its_id_date_and_chat_only():
    update = lighten(_press(copy.deepcopy(DAY_MESSAGE)))
    assert update["callback_query"]["message"] == {"message_id": 17, "date": 1_800_000_000, "chat": CHAT}
    assert update["callback_query"]["data"] == "pain:6" and update["callback_query"]["from"]["id"] == 42


def test_ptb_still_parses_a_lightened_press_into_a_message_of_that_chat():
    parsed = Update.de_json(lighten(_press(copy.deepcopy(DAY_MESSAGE))), Bot("1:x"))
    message = parsed.callback_query.message
    assert isinstance(message, Message) and message.message_id == 17 and message.chat.id == 42
    assert parsed.effective_chat.id == 42 and parsed.effective_user.id == 42
    assert message.text is None and message.reply_markup is None  # what is left out


def test_an_inaccessible_message_is_parsed_as_it_was_before():
    gone = {"message_id": 9, "date": 0, "chat": CHAT}
    as_sent = Update.de_json(_press(dict(gone)), Bot("1:x")).callback_query.message
    lightened = Update.de_json(lighten(_press(dict(gone))), Bot("1:x")).callback_query.message
    assert type(lightened) is type(as_sent) and lightened.message_id == 9 and lightened.date == as_sent.date


def test_other_updates_and_odd_shapes_pass_as_they_came():
    message = {"update_id": 6, "message": copy.deepcopy(DAY_MESSAGE)}
    assert lighten(copy.deepcopy(message)) == message  # only a pressed message is cut
    for odd in (None, 3, "x", [], {"callback_query": None}, {"callback_query": {"message": None}},
                {"callback_query": {"id": "q"}}, {"callback_query": "q"}):
        assert lighten(copy.deepcopy(odd)) == odd


def test_get_updates_answers_are_lightened_as_they_are_read():
    answer = {"ok": True, "result": [_press(copy.deepcopy(DAY_MESSAGE)), {"update_id": 6, "message": DAY_MESSAGE}]}
    parsed = UpdatesRequest.parse_json_payload(json.dumps(answer).encode())
    assert parsed["result"][0]["callback_query"]["message"] == {"message_id": 17, "date": 1_800_000_000, "chat": CHAT}
    assert parsed["result"][1]["message"] == DAY_MESSAGE
    refused = {"ok": False, "error_code": 409, "description": "Conflict"}
    assert UpdatesRequest.parse_json_payload(json.dumps(refused).encode()) == refused
