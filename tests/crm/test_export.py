"""CSV export: encodings, formula neutralisation, round trip, permissions."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from audit.models import Action, AuditEntry
from crm.export import neutralise, to_csv
from crm.imports.mapping import guess_mapping
from tests import factories

pytestmark = pytest.mark.django_db

FORMULAS = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "\tTAB", "\rCR", '=HYPERLINK("http://x")']


@pytest.mark.parametrize("payload", FORMULAS)
def test_every_formula_start_is_neutralised(payload):
    assert neutralise(payload).startswith("'")


@pytest.mark.parametrize("value", ["山田", "a=b", "", None, 42, "mail@example.jp"])
def test_harmless_cells_are_left_alone(value):
    assert not neutralise(value).startswith("'")


def test_cp932_replaces_what_it_cannot_encode_and_counts_it():
    result = to_csv(["name"], [["𠮷野家"], ["😀"], ["髙橋 ㈱"]], encoding="cp932")
    assert result.replaced == 2
    rows = list(csv.reader(io.StringIO(result.content.decode("cp932"))))
    assert rows[1:] == [["?野家"], ["?"], ["髙橋 ㈱"]]


def test_utf8_export_starts_with_a_bom_and_keeps_everything():
    result = to_csv(["name"], [["𠮷野家😀"]], encoding="utf-8-sig")
    assert result.content.startswith(b"\xef\xbb\xbf")
    assert result.replaced == 0
    assert "𠮷野家😀" in result.content.decode("utf-8-sig")


def read_export(response, encoding):
    return list(csv.DictReader(io.StringIO(response.content.decode(encoding))))


@pytest.mark.parametrize("encoding", ["utf-8-sig", "cp932"])
def test_lead_export_round_trips_in_both_encodings(client_as, marketer, encoding):
    factories.lead(
        family_name="髙橋", given_name="=cmd()", family_name_kana="タカハシ", phone="03-1234-5678"
    )
    response = client_as(marketer).get(
        reverse("crm:lead_export"), {"encoding": encoding, "headers": "names"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    (row,) = read_export(response, encoding)
    assert row["family_name"] == "髙橋"
    assert row["given_name"] == "'=cmd()"
    assert row["family_name_kana"] == "タカハシ"
    assert row["phone"] == "03-1234-5678"


def test_export_follows_the_list_filters(client_as, marketer):
    factories.lead(family_name="佐藤")
    factories.lead(family_name="鈴木")
    response = client_as(marketer).get(reverse("crm:lead_export"), {"q": "佐藤"})
    assert [r["Family name"] for r in read_export(response, "utf-8-sig")] == ["佐藤"]


def test_characters_shift_jis_cannot_hold_are_named_before_the_download(client_as, marketer):
    """The warning used to be queued for the next page, which was an unrelated one."""
    factories.lead(family_name="𠮷田", given_name="😀")
    client = client_as(marketer)
    query = {"encoding": "cp932", "stage": "lead"}
    warning = client.get(reverse("crm:lead_export"), query)
    assert warning.status_code == 200
    assert warning["Content-Type"].startswith("text/html")
    text = warning.content.decode()
    assert "2 characters cannot be written in Shift_JIS" in text
    assert "𠮷 😀" in text
    assert "replace=yes" in text and "encoding=utf-8-sig" in text
    assert not AuditEntry.objects.filter(action=Action.EXPORTED).exists()  # nothing left yet

    response = client.get(reverse("crm:lead_export"), {**query, "replace": "yes"})
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Replaced-Characters"] == "2"
    assert AuditEntry.objects.get(action=Action.EXPORTED).changes["filters"] == {"stage": "lead"}
    page = client.get(reverse("crm:lead_list")).content.decode()
    assert "Shift_JIS:" not in page and "could not be written" not in page


def test_an_export_shift_jis_can_hold_downloads_at_once(client_as, marketer):
    factories.lead(family_name="髙橋")
    response = client_as(marketer).get(reverse("crm:lead_export"), {"encoding": "cp932"})
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Replaced-Characters"] == "0"


@pytest.mark.parametrize(
    ("language", "headers"),
    [
        ("en", ["Family name", "Given name", "Family name (kana)", "Given name (kana)", "Email"]),
        ("ja", ["姓", "名", "姓（フリガナ）", "名（フリガナ）", "メール"]),
    ],
)
def test_column_headers_are_in_the_readers_language(client_as, marketer, language, headers):
    factories.lead(family_name="山本", stage="mql")
    with translation.override(language):
        response = client_as(marketer).get(
            reverse("crm:lead_export"), HTTP_ACCEPT_LANGUAGE=language
        )
    header, row = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header[:5] == headers
    assert row[header.index("ステージ" if language == "ja" else "Stage")] == "MQL"


def test_machine_column_names_on_request(client_as, marketer):
    factories.lead(family_name="山本", stage="recycled")
    response = client_as(marketer).get(
        reverse("crm:lead_export"), {"headers": "names"}, HTTP_ACCEPT_LANGUAGE="ja"
    )
    (row,) = read_export(response, "utf-8-sig")
    assert row["family_name"] == "山本"
    assert row["stage"] == "recycled"  # the code, for machines


@pytest.mark.parametrize("language", ["en", "ja"])
def test_an_exported_file_maps_back_onto_the_import(client_as, marketer, language):
    factories.lead(family_name="山本")
    response = client_as(marketer).get(reverse("crm:lead_export"), HTTP_ACCEPT_LANGUAGE=language)
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    guessed = dict(zip(header, guess_mapping(header), strict=True))
    importable = {
        "family_name", "given_name", "family_name_kana", "given_name_kana", "email", "phone",
        "company", "department", "title",
    }  # fmt: skip
    assert {field for field in guessed.values() if field} == importable


def test_unknown_encoding_is_refused(client_as, marketer):
    assert (
        client_as(marketer).get(reverse("crm:lead_export"), {"encoding": "latin-1"}).status_code
        == 400
    )


def test_reps_cannot_export(client_as, rep):
    assert client_as(rep).get(reverse("crm:lead_export")).status_code == 403
