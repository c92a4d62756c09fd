"""The session timeouts live on the ground floor (web/sessions.py); settings'
MIDDLEWARE names the middleware by this path."""

from web.sessions import SessionTimeoutMiddleware

__all__ = ["SessionTimeoutMiddleware"]
