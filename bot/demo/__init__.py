"""`vitd-bot demo`: the bot in a browser, with a Bot API inside the process and a time machine."""
