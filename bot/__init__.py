"""vitd-bot: a Telegram bot that delivers a 30-day vitamin D and back pain program."""

import os

# python-telegram-bot 22 warns that RetryAfter.retry_after becomes a timedelta in its next major
# version; opt in now (the rate limiter accepts both) so an upgrade changes nothing.
os.environ.setdefault("PTB_TIMEDELTA", "1")
