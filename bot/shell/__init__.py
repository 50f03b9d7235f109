"""The shell around the pure core: each citizen's message (service.py) and each agent's action (desk.py) is
handled in one database transaction, retried while the database is busy (transactions.py); citizens' replies
are stored in that transaction and sent after it (replies.py); calendar.py counts office working time."""
