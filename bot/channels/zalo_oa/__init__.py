"""The Zalo Official Account channel (issue 17): events by webhook, OAuth v4 tokens, consultation messages.

    signature.py  X-ZEvent-Signature: hex(SHA-256(app id + raw body + timestamp + OA secret key))
    events.py     a webhook event -> an Inbound (commands, numbered choices, button presses)
    render.py     a Reply -> consultation messages (text ≤ 2,000 characters; buttons, or numbered choices)
    client.py     httpx: the OAuth v4 token calls and the consultation message API

Stored and handled by bot/web/zalo_oa_webhook.py and bot/workers/inbound_events.py; the tokens are kept by
bot/shell/zalo_oa_tokens.py.
"""

CHANNEL = "zalo_oa"
