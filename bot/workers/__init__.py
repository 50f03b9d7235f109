"""Background jobs: outbox delivery (outbox.py), overdue-lead escalation (lead_deadlines.py)."""
