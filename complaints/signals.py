"""The core's one outward signal: other apps record each change inside its transaction."""

from django.dispatch import Signal

# Sent inside the transaction of every complaint change, after its event row exists.
# Arguments: complaint, event (ComplaintEvent), actor (Actor), name (str).
complaint_transitioned = Signal()
