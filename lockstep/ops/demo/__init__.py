"""The demo data set, loaded by `lockstep demo`: see `loader.py` for the steps."""
