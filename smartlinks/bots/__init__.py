"""Who clicked: the bot classifier shared by the consumer (every click's verdict) and the
redirector (a click-limited link is used up by people only)."""
