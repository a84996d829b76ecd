"""Lockstep: make marketing sell its programs in to sales, and prove whether it landed."""

__version__ = "0.1.0"
