"""vitd-bot: a Telegram bot that delivers a 30-day vitamin D and back pain program."""
