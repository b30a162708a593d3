"""Every change to an escalation goes through these functions, split by concern: policies
(configuration), declaring (step 1, at declaration), stepping (the later steps, "escalate
now"), stopping (enough acknowledged, the incident closed) and recovery (lost tasks).

Nothing is re-exported here: incidents.services imports escalations.services.stopping, and
declaring imports incidents.services, so this package must not import its modules at once.
"""
