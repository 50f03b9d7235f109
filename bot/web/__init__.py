"""The web server of the bot process (Starlette): the office console under /admin and /healthz; the channels'
webhooks and the web chat join it later."""
