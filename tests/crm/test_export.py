"""CSV export: encodings, formula neutralisation, round trip, permissions."""

import csv
import io

import pytest
from django.urls import reverse

from crm.export import neutralise, to_csv
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
    response = client_as(marketer).get(reverse("crm:lead_export"), {"encoding": encoding})
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
    assert [r["family_name"] for r in read_export(response, "utf-8-sig")] == ["佐藤"]


def test_export_tells_how_many_characters_were_replaced(client_as, marketer):
    factories.lead(family_name="𠮷田")
    client = client_as(marketer)
    response = client.get(reverse("crm:lead_export"), {"encoding": "cp932"})
    assert response["X-Replaced-Characters"] == "1"
    page = client.get(reverse("crm:lead_list")).content.decode()
    assert "1 character could not be written in Shift_JIS" in page


def test_unknown_encoding_is_refused(client_as, marketer):
    assert (
        client_as(marketer).get(reverse("crm:lead_export"), {"encoding": "latin-1"}).status_code
        == 400
    )


def test_reps_cannot_export(client_as, rep):
    assert client_as(rep).get(reverse("crm:lead_export")).status_code == 403
