"""Ground floor: helpers that more than one app needs and that import nothing
of Baton's (STYLE.md)."""
