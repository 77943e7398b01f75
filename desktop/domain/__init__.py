"""Prescription domain rules shared by services, printing and views (no database, no Qt): reading and writing
the directions (sig), days supply, and quantities in words for a prescription."""
