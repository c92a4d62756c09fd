"""Personal-data rights (APPI, GDPR): everything about a person, and erasure
that leaves nothing behind but anonymous rows for the KPIs and a tombstone.

- `links`: where a person's data is (rows linked through foreign keys and
  declared references, mentions anywhere else), found from the schema;
- `export`: the right of access, as one JSON document;
- `erase`: anonymisation of every linked row, every mention, every stored
  file; the lead kept as an anonymous placeholder marked erased;
- `tombstones`: keyed hashes that keep captures, imports and tracking from
  bringing an erased person back unasked.

The audit trail is append-only and never names people (see audit/models.py):
it is neither changed nor needs to be.
"""

from crm.privacy.erase import Erasure, erase_person
from crm.privacy.export import export_person
from crm.privacy.identity import ERASED, Identifiers
from crm.privacy.tombstones import admit_returning_person, is_erased, refuse_erased_people

__all__ = [
    "ERASED",
    "Erasure",
    "Identifiers",
    "admit_returning_person",
    "erase_person",
    "export_person",
    "is_erased",
    "refuse_erased_people",
]
