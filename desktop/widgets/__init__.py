"""Reusable Qt parts. No SQL here: widgets show dataclasses they are given."""
