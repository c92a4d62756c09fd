"""Django's staticfiles app, configured for Baton."""

from __future__ import annotations

from django.contrib.staticfiles.apps import StaticFilesConfig as DjangoStaticFilesConfig


class StaticFilesConfig(DjangoStaticFilesConfig):
    """`make assets` writes brotli and gzip copies beside the vendor files, for
    WhiteNoise to send under `make run`; collectstatic makes its own for the
    hashed names, so it leaves these out."""

    ignore_patterns = [*DjangoStaticFilesConfig.ignore_patterns, "*.br", "*.gz"]
