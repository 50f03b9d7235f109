"""BHXH citizen Q&A bot."""

__version__ = "0.1.0"
