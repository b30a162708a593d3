import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from contacts.models import Contact
from contacts.phone import normalize_phone_number, normalize_target
from tests.factories import ContactFactory


@pytest.mark.django_db
def test_contact_needs_a_way_to_be_reached() -> None:
    with pytest.raises(IntegrityError):
        Contact.objects.create(name="Nobody", phone_number="", acs_user_id="")


@pytest.mark.django_db
def test_contact_reachable_by_acs_id_only_is_fine() -> None:
    contact = Contact.objects.create(name="VoIP only", acs_user_id="8:acs:res_0001")
    assert contact.call_target == "8:acs:res_0001"


@pytest.mark.django_db
def test_two_contacts_cannot_share_a_phone_number() -> None:
    ContactFactory.create(phone_number="+14255550123")
    with pytest.raises(IntegrityError):
        ContactFactory.create(phone_number="+14255550123")


@pytest.mark.django_db
def test_full_clean_normalises_friendly_numbers_to_e164() -> None:
    contact = Contact(name="Ada", phone_number="+1 (425) 555-0123")
    contact.full_clean()
    assert contact.phone_number == "+14255550123"


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["555-0123", "+1 555", "call me", "+999123456789"])
def test_full_clean_rejects_invalid_numbers(bad: str) -> None:
    with pytest.raises(ValidationError) as excinfo:
        Contact(name="X", phone_number=bad).full_clean()
    assert "phone_number" in excinfo.value.message_dict


@pytest.mark.django_db
def test_full_clean_reports_the_missing_way_to_be_reached() -> None:
    with pytest.raises(ValidationError, match="Give a phone number or an ACS user id"):
        Contact(name="X").full_clean()


@pytest.mark.django_db
def test_full_clean_rejects_malformed_acs_ids() -> None:
    with pytest.raises(ValidationError) as excinfo:
        Contact(name="X", acs_user_id="acs:not-an-id").full_clean()
    assert "acs_user_id" in excinfo.value.message_dict


def test_normalize_target_accepts_numbers_and_acs_ids() -> None:
    assert normalize_target(" +44 20 7946 0958 ") == "+442079460958"
    assert normalize_target("8:acs:abc_123") == "8:acs:abc_123"
    with pytest.raises(ValidationError):
        normalize_target("8:acs:")
    assert normalize_phone_number("+12025550173") == "+12025550173"
