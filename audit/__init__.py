"""The audit trail: `audit.record(...)` from services, one INSERT each."""
