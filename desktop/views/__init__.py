"""Windows and dialogs: wire widgets to services. No SQL, no business rules."""
