import pytest
from django.contrib.auth.models import User

from contacts.models import Contact, ContactGroup
from tests.conftest import token_client
from tests.factories import ContactFactory, ContactGroupFactory


@pytest.mark.django_db
def test_admin_creates_updates_and_deletes_a_contact(admin_user: User) -> None:
    client = token_client(admin_user)
    created = client.post(
        "/api/contacts/", {"name": "Ada", "phone_number": "+14255550123"}, format="json"
    )
    assert created.status_code == 201, created.json()
    contact_id = created.json()["id"]
    assert created.json()["is_active"] is True

    updated = client.patch(f"/api/contacts/{contact_id}/", {"is_active": False}, format="json")
    assert updated.status_code == 200 and updated.json()["is_active"] is False
    assert client.delete(f"/api/contacts/{contact_id}/").status_code == 204
    assert not Contact.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("number", ["555-0123", "+1 425 555 0123", "+1425555012"])
def test_phone_numbers_must_be_valid_e164(admin_user: User, number: str) -> None:
    response = token_client(admin_user).post(
        "/api/contacts/", {"name": "Ada", "phone_number": number}, format="json"
    )
    assert response.status_code == 400
    assert "phone_number" in response.json()["errors"]


@pytest.mark.django_db
def test_contact_needs_a_way_to_be_reached(admin_user: User) -> None:
    response = token_client(admin_user).post("/api/contacts/", {"name": "Ada"}, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Give a phone number or an ACS user id (or both)."]
    }


@pytest.mark.django_db
def test_phone_numbers_are_unique(admin_user: User) -> None:
    ContactFactory.create(phone_number="+14255550123")
    response = token_client(admin_user).post(
        "/api/contacts/", {"name": "Bob", "phone_number": "+14255550123"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["Another contact already has this phone number."]
    }


@pytest.mark.django_db
def test_contacts_reached_by_acs_id_only_may_share_an_empty_phone_number(admin_user: User) -> None:
    client = token_client(admin_user)
    for acs_id in ("8:acs:r_1", "8:acs:r_2"):
        response = client.post("/api/contacts/", {"name": acs_id, "acs_user_id": acs_id})
        assert response.status_code == 201, response.json()
    bad = client.post("/api/contacts/", {"name": "X", "acs_user_id": "bob"}, format="json")
    assert bad.status_code == 400 and "acs_user_id" in bad.json()["errors"]


@pytest.mark.django_db
def test_admin_manages_group_members(admin_user: User) -> None:
    ada, bob = ContactFactory.create(), ContactFactory.create()
    client = token_client(admin_user)
    created = client.post(
        "/api/groups/", {"name": "On call", "members": [ada.pk]}, format="json"
    ).json()
    assert created["members"] == [ada.pk]
    updated = client.patch(f"/api/groups/{created['id']}/", {"members": [bob.pk]}, format="json")
    assert updated.json()["members"] == [bob.pk]
    assert client.get(f"/api/contacts/{bob.pk}/").json()["groups"] == [created["id"]]
    assert client.delete(f"/api/groups/{created['id']}/").status_code == 204
    assert not ContactGroup.objects.exists() and Contact.objects.count() == 2


@pytest.mark.django_db
def test_group_names_are_unique(admin_user: User) -> None:
    ContactGroupFactory.create(name="On call")
    response = token_client(admin_user).post("/api/groups/", {"name": "On call"}, format="json")
    assert response.status_code == 400 and "name" in response.json()["errors"]


@pytest.mark.django_db
def test_viewers_read_contacts(viewer: User) -> None:
    contact = ContactFactory.create()
    body = token_client(viewer).get("/api/contacts/").json()
    assert [c["id"] for c in body["results"]] == [contact.pk]
