"""Clinic desktop EMR."""

__version__ = "0.1.0"
