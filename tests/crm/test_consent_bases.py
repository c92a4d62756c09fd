"""Consent bases with evidence (issue 20 item 1): a business card is an address
given in writing (特定電子メール法 art. 3), recorded per person by the import,
shown on the lead page and honoured by nurture sends."""

import pytest
from django.core import mail
from django.urls import reverse

from crm.imports import engine, jobs, mapping, reading
from crm.models import Activity, Consent, ImportJob, Lead
from nurture import sending
from nurture.models import Send
from tests.nurture.conftest import email, fast_sends, segment  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

CARDS = (
    "会社名,姓,名,e-mail,TEL直通,TEL部門,名刺交換日\r\n"
    "株式会社青葉商事,山田,太郎,taro@aoba.example.jp,03-1111-2345,03-1111-2000,2026/10/01\r\n"
    "北斗物流株式会社,佐藤,花子,hana@hokuto.example.jp,,,2026/10/02\r\n"
).encode("cp932")


def upload(client, basis=None):
    data = {"file": _file(), "kind": Activity.Kind.CARD_EXCHANGE}
    if basis is not None:
        data["consent_basis"] = basis
    response = client.post(reverse("crm:import_list"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.latest("pk")


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("cards.csv", CARDS, content_type="text/csv")


def run(job):
    jobs.preview(job, columns=job.mapping)
    jobs.start(job)
    jobs.run(job.pk)


def test_the_upload_form_proposes_written_notice_for_cards(client_as, marketer):
    page = client_as(marketer).get(reverse("crm:import_list"))
    assert page.context["form"]["consent_basis"].value() == Consent.Basis.WRITTEN_NOTICE


def test_a_card_import_records_a_written_notice_per_person_with_its_evidence(
    client_as, marketer, django_capture_on_commit_callbacks
):
    job = upload(client_as(marketer), Consent.Basis.WRITTEN_NOTICE)
    run(job)
    consents = Consent.objects.select_related("lead").order_by("lead__email")
    assert [(c.lead.email, c.basis) for c in consents] == [
        ("hana@hokuto.example.jp", "written_notice"),
        ("taro@aoba.example.jp", "written_notice"),
    ]
    taro = consents[1]
    assert str(taro.obtained_on) == "2026-10-01"
    assert taro.recorded_by == marketer and taro.import_job == job
    assert Lead.objects.with_marketing_consent().count() == 2


def test_no_basis_records_nothing(client_as, marketer):
    run(upload(client_as(marketer), ""))
    assert not Consent.objects.exists()
    assert not Lead.objects.with_marketing_consent().exists()


def test_importing_again_adds_no_second_consent_and_keeps_an_unsubscribe(client_as, marketer):
    client = client_as(marketer)
    run(upload(client, Consent.Basis.WRITTEN_NOTICE))
    Consent.objects.filter(lead__email="taro@aoba.example.jp").update(
        withdrawn_at="2026-11-01T00:00Z"
    )
    run(upload(client, Consent.Basis.WRITTEN_NOTICE))
    assert Consent.objects.count() == 2
    assert list(Lead.objects.with_marketing_consent().values_list("email", flat=True)) == [
        "hana@hokuto.example.jp"
    ]


@pytest.mark.parametrize(
    "basis",
    [Consent.Basis.BUSINESS_RELATIONSHIP, Consent.Basis.PUBLISHED_FOR_BUSINESS],
)
def test_each_basis_can_be_chosen_for_a_file(client_as, marketer, basis):
    run(upload(client_as(marketer), basis))
    assert set(Consent.objects.values_list("basis", flat=True)) == {basis}


def test_the_lead_page_shows_the_basis_and_its_evidence(client_as, marketer):
    client = client_as(marketer)
    job = upload(client, Consent.Basis.WRITTEN_NOTICE)
    run(job)
    lead = Lead.objects.get(email="taro@aoba.example.jp")
    html = client.get(lead.get_absolute_url()).content.decode()
    assert "Address given in writing (business card)" in html
    assert 'data-testid="consent-obtained"' in html and "cards.csv" in html
    assert "recorded by" in html


def test_the_import_page_says_which_basis_it_records(client_as, marketer):
    client = client_as(marketer)
    job = upload(client, Consent.Basis.WRITTEN_NOTICE)
    html = client.get(job.get_absolute_url()).content.decode()
    assert "may be emailed: Address given in writing (business card)" in html


@pytest.mark.usefixtures("fast_sends")
def test_card_leads_receive_a_nurture_email(client_as, marketer):
    run(upload(client_as(marketer), Consent.Basis.WRITTEN_NOTICE))
    send = sending.start_send(email(marketer), segment=segment(), by=marketer)
    sending.run(send.pk)
    send.refresh_from_db()
    assert send.status == Send.Status.DONE
    assert sorted(m.to[0] for m in mail.outbox) == [
        "hana@hokuto.example.jp",
        "taro@aoba.example.jp",
    ]


def test_the_command_records_the_basis_it_is_given(tmp_path):
    from django.core.management import call_command

    path = tmp_path / "cards.csv"
    path.write_bytes(CARDS)
    call_command("import_leads", str(path), "--consent-basis", "written_notice", verbosity=0)
    assert Consent.objects.filter(basis="written_notice").count() == 2


def test_engine_apply_without_a_basis_records_none():
    table = reading.read_table(CARDS)
    engine.apply(
        engine.plan(table, mapping.guess_mapping(table.headers)),
        campaign=None,
        kind=Activity.Kind.CARD_EXCHANGE,
        actor=None,
        source="t",
    )
    assert Lead.objects.count() == 2 and not Consent.objects.exists()
