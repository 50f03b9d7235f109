"""The enrolment-lead feature's pure parts, in one place: a citizen's interest is noticed (interest, offer),
a call-back is asked for with consent (consent, capture, fields), a lead is stored and moved by its agent
(records), its agent is told (messages, notifications) within office hours (office_hours), staff add the
leads met in person (offline) and export them (export); lead.yaml's settings (setup).
"""
