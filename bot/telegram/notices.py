"""When each group was last told that the bot works in private chat only (see gate.py)."""

from __future__ import annotations

from collections import OrderedDict
from datetime import datetime, timedelta

NOTICE_EVERY = timedelta(hours=1)
REMEMBERED_GROUPS = 10_000


class GroupNotices:
    """When each group was last told; bounded, so a bot added to many groups keeps flat memory."""

    def __init__(self, size: int = REMEMBERED_GROUPS) -> None:
        self.size = size
        self._told: OrderedDict[int, datetime] = OrderedDict()

    def due(self, chat_id: int, now: datetime) -> bool:
        last = self._told.get(chat_id)
        if last is not None and now - last < NOTICE_EVERY:
            return False
        self._told[chat_id] = now
        self._told.move_to_end(chat_id)
        while len(self._told) > self.size:
            self._told.popitem(last=False)
        return True
