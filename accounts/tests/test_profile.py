import pytest
from django.urls import reverse

from accounts import services
from accounts.tests.factories import user_create
from core.errors import ApiError

pytestmark = pytest.mark.django_db
PROFILE = reverse("accounts:profile")


def test_profile_needs_a_signed_in_user(client):
    reply = client.get(PROFILE)
    assert reply.status_code == 302
    assert reply["Location"].startswith(reverse("accounts:sign-in"))


def test_profile_shows_address_and_roles(client):
    user = user_create(moderator=True)
    client.force_login(user)
    page = client.get(PROFILE).content.decode()
    assert user.address in page and "moderator" in page


def test_profile_saves_display_name_and_email(client):
    user = user_create()
    client.force_login(user)
    reply = client.post(PROFILE, {"display_name": "Ada", "email": "ada@example.com"}, follow=True)
    assert "Profile saved." in reply.content.decode()
    user.refresh_from_db()
    assert (user.display_name, user.email) == ("Ada", "ada@example.com")
    header = client.get(reverse("home")).content.decode()
    assert "Ada" in header and user.short_address in header


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"display_name": "", "email": "not-an-email"}, "valid email"),
        ({"display_name": "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", "email": ""}, "look like"),
        ({"display_name": "x" * 81, "email": ""}, "at most 80"),
    ],
)
def test_profile_form_errors_are_shown(client, data, error):
    user = user_create(display_name="Before")
    client.force_login(user)
    reply = client.post(PROFILE, data)
    assert reply.status_code == 200 and error in reply.content.decode()
    user.refresh_from_db()
    assert user.display_name == "Before"


def test_user_update_profile_normalizes_whitespace():
    user = services.user_update_profile(
        user=user_create(), display_name=" a \t b ", email=" e@x.io "
    )
    assert (user.display_name, user.email) == ("a b", "e@x.io")
    with pytest.raises(ApiError):
        services.user_update_profile(user=user, display_name="0xdead", email="")


def test_roles():
    assert not user_create().is_moderator
    assert user_create(moderator=True).is_moderator
    assert user_create(is_superuser=True).is_moderator
