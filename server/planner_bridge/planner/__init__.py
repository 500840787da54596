"""The planner's data: assets and who may see or change them (`assets`), the answers kept for
retried writes (`idempotency`), and the live feed of changes (`live`)."""
