"""Approval by the press office: signed single-use links, the review page, the decision, reminders."""
