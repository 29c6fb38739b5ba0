"""Replies that more than one handler sends."""

NOT_ENROLLED = "You're not enrolled yet. Send /start to begin the 30-day program."
UNKNOWN_COMMAND = "Sorry, I don't know that command. /help shows what I can do."
