"""Docent: an offline desktop document assistant."""

__version__ = "0.1.0"
