"""The ground floor: helpers that more than one app needs (the client's
address, the shared cache that may be away). Imports nothing of Baton's."""
