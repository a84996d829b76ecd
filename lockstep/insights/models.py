"""Insights are computed from the activity-event table and results; no tables of its own."""
