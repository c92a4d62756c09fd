"""The ground floor: web plumbing shared by the apps. Imports Django only,
nothing of Baton's, so every app may import it."""
