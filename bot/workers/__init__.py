"""Background jobs of a running bot, started together by background.py: outbox delivery (outbox.py: agents'
notifications and citizens' stored replies), overdue-lead reminders and escalation (lead_deadlines.py), the
retention sweep of personal data and idle sessions (retention.py), the pruning of processed updates
(pruning.py); periodic.py runs each one every so often."""
