"""The ground floor: helpers that several apps' views share. It imports
nothing of Baton's, so that every app may import it."""
