"""The enrolment-lead feature's pure parts, in one place.

- interest.py, offer.py: a citizen's interest is noticed and a free call-back offered once;
- consent.py, capture.py, fields.py, call_times.py: the call-back is asked for with consent, name and phone
  tidied, and a concrete time to call;
- records.py: a lead's statuses, the agents' actions on it and who may take them;
- routing.py: area names, the office chat and the first-contact deadline a lead is routed with;
- messages.py, notifications.py, office_hours.py: what the agent is told, and by when;
- offline.py: /themlead, a lead an agent met in person; export.py: the rows of `leads export`;
- my_data.py: what the bot keeps about a citizen, shown to them (/dulieu);
- setup.py: knowledge/leads.yaml and the settings, parsed once.
"""
