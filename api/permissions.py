"""Who may call what: the Django model permissions the role groups carry."""

from __future__ import annotations

from typing import Any

from rest_framework.permissions import BasePermission, DjangoModelPermissions
from rest_framework.request import Request


def _not_allowed_here(request: Request, view: Any) -> bool:
    """A method the route does not take: let the view answer 405 (with Allow),
    not 403 because no role holds a permission for it."""
    return request.method not in view.allowed_methods


class ModelPermissions(DjangoModelPermissions):
    """DRF's model permissions, with reading requiring the `view_` permission
    too (DRF lets anyone signed in read). Which rows a user reaches is the
    view's queryset, built from `visible_to`; rows out of scope answer 404."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user and request.user.is_authenticated and _not_allowed_here(request, view):
            return True
        return super().has_permission(request, view)


def has_perms(*perms: str) -> type[BasePermission]:
    """A permission class requiring every one of `perms` (for actions that are
    not plain model changes, such as claiming a handoff)."""

    class HasPerms(BasePermission):
        def has_permission(self, request: Request, view: Any) -> bool:
            user = request.user
            if not (user and user.is_authenticated):
                return False
            return _not_allowed_here(request, view) or user.has_perms(perms)

    HasPerms.__name__ = f"HasPerms({', '.join(perms)})"
    return HasPerms
