"""Administrator screens: users, practice settings, audit report."""
