"""The app."""

__version__ = "4.0.0"
VERSION_TUPLE = (4, 0, 0)
