"""The enrolment-lead feature's pure parts, in one place.

- interest.py, offer.py: a citizen's interest is noticed and a free call-back offered once;
- consent.py, capture.py, fields.py: the call-back is asked for with consent, name and phone tidied;
- records.py: a lead's statuses, the agents' actions on it and who may take them;
- routing.py: area names, the office chat and the first-contact deadline a lead is routed with;
- messages.py, notifications.py, office_hours.py: what the agent is told, and by when;
- offline.py: /themlead, a lead an agent met in person; export.py: the rows of `leads export`;
- setup.py: knowledge/leads.yaml and the settings, parsed once.
"""
