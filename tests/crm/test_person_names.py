"""Names as Japanese readers expect (issue 20 item 6): a name in Japanese
script is family name first in both languages; 様 and 御中 in merge fields."""

import pytest
from django.utils import translation

from crm.models import Company
from crm.person_names import full_name, is_japanese_script
from nurture.rendering import merge_values
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("family", "given", "language", "expected"),
    [
        ("山田", "太郎", "en", "山田 太郎"),
        ("山田", "太郎", "ja", "山田 太郎"),
        ("ヤマダ", "タロウ", "en", "ヤマダ タロウ"),
        ("Smith", "John", "en", "John Smith"),
        ("Smith", "John", "ja", "Smith John"),
        ("山田", "", "en", "山田"),
    ],
)
def test_full_name_order(family, given, language, expected):
    assert full_name(family, given, language=language) == expected


def test_japanese_script_is_told_apart():
    assert is_japanese_script("髙橋") and is_japanese_script("ﾀﾛｳ") and is_japanese_script("さくら")
    assert not is_japanese_script("Taro Yamada")


def test_a_japanese_lead_is_family_name_first_on_english_pages():
    lead = factories.lead(family_name="山田", given_name="太郎")
    with translation.override("en"):
        assert lead.display_name == "山田 太郎"


def test_merge_fields_add_sama_and_onchu_in_japanese():
    company = Company.objects.create(name="株式会社青葉商事")
    lead = factories.lead(family_name="山田", given_name="太郎", company=company)
    ja = merge_values(lead, "ja")
    assert ja["name"] == "山田 太郎 様"
    assert ja["company_addressee"] == "株式会社青葉商事 御中"
    en = merge_values(lead, "en")
    assert en["name"] == "山田 太郎"  # Japanese script: family first in English too
    assert en["company_addressee"] == "株式会社青葉商事"
