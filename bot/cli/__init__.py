"""Command groups of `python -m bot`, one module each."""
