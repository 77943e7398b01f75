"""Shipped clinical knowledge (formulary, vaccines) and text helpers; no Qt, no database."""
