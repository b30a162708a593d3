"""Every change to a reminder goes through these functions (split by concern)."""
