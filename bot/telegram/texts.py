"""Replies that more than one handler sends."""

def not_enrolled(program_length: int) -> str:
    return f"You're not enrolled yet. Send /start to begin the {program_length}-day program."
UNKNOWN_COMMAND = "Sorry, I don't know that command. /help shows what I can do."
