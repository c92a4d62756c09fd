from django.contrib.auth.models import User
from django.utils import translation

from web.people import person


def test_family_name_first_in_japanese_given_name_first_in_english():
    user = User(username="t", first_name="Taro", last_name="Suzuki")
    with translation.override("ja"):
        assert person(user) == "Suzuki Taro"
    with translation.override("en"):
        assert person(user) == "Taro Suzuki"


def test_username_when_no_name_and_nothing_for_nobody():
    assert person(User(username="rep9")) == "rep9"
    assert person(None) == ""


def test_a_user_named_in_japanese_script_is_family_name_first_in_both_languages():
    user = User(username="yamada", first_name="太郎", last_name="山田")
    for language in ("ja", "en"):
        with translation.override(language):
            assert person(user) == "山田 太郎", language
    kana = User(username="s", first_name="ハナコ", last_name="スズキ")
    with translation.override("en"):
        assert person(kana) == "スズキ ハナコ"


def test_a_user_and_a_lead_of_one_name_read_alike():
    from crm.models import Lead

    user = User(username="y", first_name="太郎", last_name="山田")
    lead = Lead(family_name="山田", given_name="太郎")
    latin_user = User(username="j", first_name="John", last_name="Smith")
    latin_lead = Lead(family_name="Smith", given_name="John")
    for language in ("ja", "en"):
        with translation.override(language):
            assert person(user) == lead.display_name
            assert person(latin_user) == latin_lead.display_name


def test_owner_choices_name_users_as_pages_do(db):
    from django.contrib.auth.models import Group

    from crm.forms import LeadFilterForm
    from deals.filters import owner_field

    rep = User.objects.create(username="yamada", first_name="太郎", last_name="山田")
    rep.groups.add(Group.objects.get_or_create(name="sales")[0])
    User.objects.create(username="smith", first_name="John", last_name="Smith")
    with translation.override("en"):
        lead_filter = str(LeadFilterForm()["owner"])
        deal_filter = [label for _value, label in owner_field().choices]
    assert ">山田 太郎</option>" in lead_filter and ">John Smith</option>" in lead_filter
    assert "山田 太郎" in deal_filter
