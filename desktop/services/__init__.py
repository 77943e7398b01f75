"""Use cases. Each takes a UnitOfWork, checks the user's permission, and returns frozen dataclasses."""
