"""The ground floor: helpers that several apps share (the scoped fetch of a
row, the client's address, the shared cache that may be away, JSON input
checks, public request bodies). It imports nothing of Baton's, so that
every app may import it."""
