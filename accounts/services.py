"""Accounts: roles from single sign-on, the second-factor requirement, and
password reset mail."""

from __future__ import annotations

import logging
import smtplib

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.models import AbstractBaseUser, Group, User
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from accounts.roles import ROLES
from audit.trail import Action, record
from crm import outbox
from crm.models import OutboxEvent
from crm.topics import Topic

logger = logging.getLogger(__name__)


@transaction.atomic
def sync_roles(user: User, roles: set[str]) -> bool:
    """Give `user` exactly `roles` among Baton's (other groups stay), and
    Django admin access with the admin role. False when nothing changed."""
    current = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    is_staff = "admin" in roles
    if current == roles and user.is_staff == is_staff:
        return False
    groups = {group.name: group for group in Group.objects.filter(name__in=ROLES)}
    user.groups.remove(*(groups[name] for name in current - roles if name in groups))
    user.groups.add(*(groups[name] for name in roles - current if name in groups))
    if user.is_staff != is_staff:
        user.is_staff = is_staff
        user.save(update_fields=["is_staff"])
    record(
        Action.ROLES_CHANGED,
        user,
        actor=user,
        changes={"from": sorted(current), "to": sorted(roles), "by": "single sign-on"},
    )
    return True


def mfa_required(user: AbstractBaseUser) -> bool:
    """Whether `user` must set up a second factor before doing anything else."""
    required = settings.BATON_MFA_REQUIRED_ROLES
    if not required or not user.is_authenticated:
        return False
    assert isinstance(user, User)  # nosec B101  # Baton uses Django's User
    in_role = user.groups.filter(name__in=required).exists() or (
        "admin" in required and user.is_superuser
    )
    return in_role and not is_mfa_enabled(user)


def request_password_reset(email: str, *, language: str) -> None:
    """Queue the reset mail for the accounts using `email`, if any.

    The request does the same work for a known and an unknown address (one
    query, one outbox row) and never talks to the mail server: the answer and
    its timing say nothing about who has an account. Accounts without a
    usable password (single sign-on only) get no link: a password would let
    them in past the identity provider.
    """
    user_ids = list(
        User.objects.filter(email__iexact=email, is_active=True)
        .exclude(password__startswith=UNUSABLE_PASSWORD_PREFIX)
        .values_list("pk", flat=True)
    )
    with transaction.atomic():
        # Consumed by accounts.tasks.send_password_reset_event.
        outbox.emit(Topic.PASSWORD_RESET, {"user_ids": user_ids, "language": language})


def send_password_reset_event(event_id: int) -> int:
    """Consume an accounts.password_reset event: mail each account its link.
    Returns how many mails went out.

    A mail server that cannot be reached leaves the event unprocessed, for the
    outbox sweep to deliver again (with fresh links).
    """
    with transaction.atomic():
        if not outbox.mark_processed(event_id):
            return 0
        payload = OutboxEvent.objects.get(pk=event_id).payload
        users = User.objects.filter(pk__in=payload["user_ids"], is_active=True)
        try:
            with translation.override(payload.get("language") or settings.LANGUAGE_CODE):
                messages = [_reset_message(user) for user in users if user.email]
            for message in messages:
                message.send()
        except (smtplib.SMTPException, OSError) as error:
            logger.warning("accounts: reset mail of event %s failed (%s)", event_id, error)
            transaction.set_rollback(True)
            return 0
        for user in users:
            record(Action.PASSWORD_RESET, user, summary="link sent")
    return len(messages)


def _reset_message(user: User) -> EmailMultiAlternatives:
    path = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    context = {
        "user": user,
        "url": settings.BATON_BASE_URL + path,
        "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
    }
    subject = render_to_string("emails/password_reset_subject.txt", context).strip()
    message = EmailMultiAlternatives(
        subject, render_to_string("emails/password_reset_body.txt", context), to=[user.email]
    )
    message.attach_alternative(
        render_to_string("emails/password_reset_body.html", context), "text/html"
    )
    return message
