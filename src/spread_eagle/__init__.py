"""Spread Eagle: a local-first daily pipeline for sports-betting analytics."""

__version__ = "0.1.0"
