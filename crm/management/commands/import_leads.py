"""Import a lead list from the command line: the same engine as the browser."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from crm import export
from crm.imports import engine, mapping, reading
from crm.models import Activity, Campaign, Consent


class Command(BaseCommand):
    help = "Import leads from a CSV (UTF-8, UTF-8 with BOM or CP932) or XLSX file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--campaign", help="UTM code of the campaign the leads came from")
        parser.add_argument(
            "--kind",
            default=Activity.Kind.IMPORTED,
            choices=[
                Activity.Kind.IMPORTED,
                Activity.Kind.CARD_EXCHANGE,
                Activity.Kind.EVENT_VISIT,
            ],
            help="the timeline entry each row adds",
        )
        parser.add_argument(
            "--consent-basis",
            default="",
            choices=["", *Consent.IMPORT_BASES],
            help="why the file's people may be emailed, recorded for each (default: nothing)",
        )
        parser.add_argument("--dry-run", action="store_true", help="check and count, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["path"]
        campaign = None
        if options["campaign"]:
            campaign = Campaign.objects.filter(utm_code=options["campaign"]).first()
            if campaign is None:
                raise CommandError(f"No campaign with UTM code {options['campaign']!r}.")
        try:
            table = reading.read_table(path.read_bytes(), filename=path.name)
        except (OSError, reading.UnreadableFile) as exc:
            raise CommandError(str(exc)) from exc
        columns = mapping.guess_mapping(table.headers)
        if missing := mapping.missing_fields(columns):
            raise CommandError(
                f"No column recognised for: {', '.join(missing)}. "
                f"Headers: {', '.join(table.headers)}"
            )
        self.stdout.write(f"{path.name}: {table.encoding}, {len(table.rows)} rows")
        for header, field in zip(table.headers, columns, strict=True):
            self.stdout.write(f"  {header} -> {field or '(ignored)'}")
        planned = engine.plan(table, columns)
        if options["dry_run"]:
            self._report("Dry run (nothing written)", planned.counts)
        else:
            counts = engine.apply(
                planned,
                campaign=campaign,
                kind=options["kind"],
                actor=None,
                source=f"import_leads {path.name}",
                consent_basis=options["consent_basis"],
            )
            self._report("Imported", counts)
        if planned.rejections:
            rejected = path.with_name(path.stem + ".rejected.csv")
            rows = ([r.line, r.message(), *r.values] for r in planned.rejections)
            rejected.write_bytes(
                export.to_csv(
                    ["line", "reason", *table.headers], rows, encoding="utf-8-sig"
                ).content
            )
            self.stdout.write(f"Rejected rows, with the reason for each: {rejected}")

    def _report(self, title: str, counts: engine.Counts) -> None:
        summary = ", ".join(f"{k} {v}" for k, v in counts.as_dict().items())
        self.stdout.write(self.style.SUCCESS(f"{title}: {summary}"))
