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
