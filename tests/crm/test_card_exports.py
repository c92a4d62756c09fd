"""Business-card service exports read fully (issue 20 item 2): Sansan and
Eight recognised from their headers, every column mapped or deliberately
ignored, 氏名 without a space split, every phone number kept and searchable."""

import pytest
from django.urls import reverse

from crm.imports import card_profiles, engine, jobs, mapping, reading
from crm.imports.names import split_full_name
from crm.imports.rows import check_row
from crm.models import Activity, Company, ImportJob, Lead

pytestmark = pytest.mark.django_db

EIGHT_HEADER = (
    "会社名,部署名,役職,姓,名,e-mail,郵便番号,住所,"
    "TEL会社,TEL部門,TEL直通,Fax,携帯電話,URL,名刺交換日"
)
EIGHT_ROW = (
    "株式会社青葉商事,営業部,部長,山田,太郎,taro@aoba.example.jp,100-0001,東京都千代田区1-1,"
    "03-1111-0000,03-1111-2000,03-1111-2345,03-1111-9999,090-1234-5678,https://www.aoba.example.jp/,"
    "2026/10/01"
)
SANSAN_HEADER = (
    "名刺交換日,会社名,部署名,役職,氏名[姓],氏名[名],氏名カナ[姓],氏名カナ[名],メールアドレス,"
    "郵便番号,住所,TEL,FAX,携帯電話,URL,名刺所有者,名刺ID"
)
SANSAN_ROW = (
    "2026/10/02,（一社）みなと協会,事務局,局長,佐々木,健太,ササキ,ケンタ,sasaki@minato.example.jp,"
    "231-0001,神奈川県横浜市1-1,045-111-2222,045-111-3333,080-2222-3333,minato.example.jp,"
    "鈴木 一郎,12345"
)


def test_an_eight_export_is_recognised_and_every_column_mapped():
    headers = EIGHT_HEADER.split(",")
    assert card_profiles.detect(headers) is card_profiles.EIGHT
    assert mapping.guess_mapping(headers) == [
        "company", "department", "title", "family_name", "given_name", "email", "postal_code",
        "address", "phone", "phone_department", "phone_direct", "fax", "mobile", "url",
        "occurred_on",
    ]  # fmt: skip


def test_a_sansan_export_is_recognised_and_its_service_columns_ignored_on_purpose():
    headers = SANSAN_HEADER.split(",")
    assert card_profiles.detect(headers) is card_profiles.SANSAN
    guessed = mapping.guess_mapping(headers)
    assert guessed[:10] == [
        "occurred_on", "company", "department", "title", "family_name", "given_name",
        "family_name_kana", "given_name_kana", "email", "postal_code",
    ]  # fmt: skip
    assert guessed[10:] == ["address", "phone", "fax", "mobile", "url", "", ""]
    for header in ("名刺所有者", "名刺ID"):
        assert isinstance(card_profiles.SANSAN.target(header), card_profiles.Ignored)


@pytest.mark.parametrize("profile", card_profiles.PROFILES, ids=lambda p: p.name)
def test_every_column_a_profile_knows_is_mapped_or_ignored_with_a_reason(profile):
    for header, target in profile.columns.items():
        if isinstance(target, card_profiles.Ignored):
            assert str(target.reason), header
        else:
            assert target in mapping.FIELDS, header


def test_other_files_are_no_card_export():
    assert card_profiles.detect(["氏名", "メールアドレス", "会社名"]) is None


@pytest.mark.parametrize(
    ("full", "family", "given"),
    [
        ("山田太郎", "山田", "太郎"),
        ("佐々木健太", "佐々木", "健太"),
        ("林美咲", "林", "美咲"),
        ("長谷川翔", "長谷川", "翔"),
        ("東海林誠", "東海林", "誠"),
        ("髙橋一郎", "髙橋", "一郎"),
        ("山田", "山田", ""),  # a family name alone stays whole
        ("勅使河原三郎", "勅使河原三郎", ""),  # not on the list: nothing invented
    ],
)
def test_a_full_name_without_a_space_is_split_at_a_known_family_name(full, family, given):
    assert split_full_name(full) == (family, given)
    candidate = check_row([full, "a@example.jp"], ["full_name", "email"], line=2)
    assert (candidate.family_name, candidate.given_name) == (family, given)


def import_file(text, campaign=None):
    table = reading.read_table(text.encode("cp932"))
    planned = engine.plan(table, mapping.guess_mapping(table.headers))
    assert not planned.rejections, [r.message() for r in planned.rejections]
    return engine.apply(
        planned, campaign=campaign, kind=Activity.Kind.CARD_EXCHANGE, actor=None, source="t"
    )


def test_an_eight_export_keeps_every_number_and_the_office():
    import_file(f"{EIGHT_HEADER}\r\n{EIGHT_ROW}\r\n")
    lead = Lead.objects.get()
    assert (lead.phone, lead.phone_direct, lead.phone_department, lead.mobile, lead.fax) == (
        "03-1111-0000",
        "03-1111-2345",
        "03-1111-2000",
        "090-1234-5678",
        "03-1111-9999",
    )
    company = Company.objects.get()
    assert (company.postal_code, company.address, company.domain) == (
        "100-0001",
        "東京都千代田区1-1",
        "aoba.example.jp",
    )


def test_a_sansan_export_is_imported_with_its_names_and_numbers():
    import_file(f"{SANSAN_HEADER}\r\n{SANSAN_ROW}\r\n")
    lead = Lead.objects.select_related("company").get()
    names = (lead.family_name, lead.given_name, lead.family_name_kana)
    assert names == ("佐々木", "健太", "ササキ")
    assert lead.mobile == "080-2222-3333" and lead.fax == "045-111-3333"
    assert lead.company.key == "みなと協会"  # the association, whatever its spelling
    assert lead.company.domain == "minato.example.jp"


@pytest.mark.parametrize("number", ["03-1111-2345", "0311112000", "090-1234-5678", "1234-5678"])
def test_a_lead_is_found_by_any_of_its_numbers(number):
    import_file(f"{EIGHT_HEADER}\r\n{EIGHT_ROW}\r\n")
    assert list(Lead.objects.search(number).values_list("email", flat=True)) == [
        "taro@aoba.example.jp"
    ]


def test_the_fax_number_does_not_find_the_person():
    import_file(f"{EIGHT_HEADER}\r\n{EIGHT_ROW}\r\n")
    assert not Lead.objects.search("03-1111-9999").exists()


def test_the_lead_page_shows_the_direct_line_and_mobile(client_as, marketer):
    import_file(f"{EIGHT_HEADER}\r\n{EIGHT_ROW}\r\n")
    lead = Lead.objects.get()
    html = client_as(marketer).get(lead.get_absolute_url()).content.decode()
    assert "03-1111-2345" in html and "090-1234-5678" in html


def test_the_mapping_step_names_the_service_and_why_columns_are_left_out(client_as, marketer):
    job = jobs.create_job(
        f"{SANSAN_HEADER}\r\n{SANSAN_ROW}\r\n".encode("cp932"),
        filename="sansan.csv",
        user=marketer,
        campaign=None,
        kind=Activity.Kind.CARD_EXCHANGE,
    )
    html = client_as(marketer).get(reverse("crm:import_detail", args=[job.pk])).content.decode()
    assert "This is a Sansan export" in html
    assert "The card&#x27;s owner in the card service" in html
    assert ImportJob.objects.get(pk=job.pk).mapping[4:6] == ["family_name", "given_name"]


def test_erasing_the_person_clears_every_card_number(manager):
    from crm import privacy

    import_file(f"{EIGHT_HEADER}\r\n{EIGHT_ROW}\r\n")
    lead = Lead.objects.get()
    privacy.erase_person(lead, by=manager)
    lead.refresh_from_db()
    numbers = (lead.phone_direct, lead.phone_department, lead.mobile, lead.fax)
    assert numbers == ("", "", "", "") and lead.other_phone_digits == ""
    assert not Lead.objects.search("090-1234-5678").exists()
