"""Channel adapters: translate a channel's messages to Inbound and render Replies back."""
