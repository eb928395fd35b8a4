"""Every moderation page and endpoint refuses non-moderators (403), and admin-only ones refuse
moderators too. The routes come from listings.moderation.routes; a route mounted under
/moderation/ or /api/v1/moderation/ that is missing there fails the first test."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from accounts.models import User
from listings.moderation.permissions import ADMIN
from listings.moderation.routes import API, PAGES
from listings.tests import factories

pytestmark = pytest.mark.django_db
METHODS = ("get", "post", "put", "patch", "delete")


def _mounted(prefixes: tuple[str, ...]) -> set[str]:
    """Full route strings of everything mounted under the moderation prefixes."""
    found = set()

    def walk(patterns, prefix):
        for p in patterns:
            route = prefix + str(p.pattern)
            if isinstance(p, URLResolver):
                walk(p.url_patterns, route)
            elif isinstance(p, URLPattern) and route.startswith(prefixes):
                found.add(route)

    walk(get_resolver().url_patterns, "")
    return found


def _urls():
    for routes, namespace in ((PAGES, "moderation"), (API, "moderation-api")):
        for _, _, name, role, kwargs in routes:
            yield reverse(f"{namespace}:{name}", kwargs=kwargs), role, namespace == "moderation"


def test_every_mounted_moderation_route_is_in_the_routes_table():
    declared = {"moderation/" + r for r, *_ in PAGES} | {"api/v1/moderation/" + r for r, *_ in API}
    assert _mounted(("moderation/", "api/v1/moderation/")) == declared


@pytest.mark.parametrize("method", METHODS)
def test_signed_in_non_moderators_get_403_everywhere(method):
    client = Client()
    client.force_login(factories.user())
    for url, _, _ in _urls():
        reply = getattr(client, method)(url)
        # 405: a method the route lacks (the next test checks each route's own methods)
        assert reply.status_code in (403, 405), (method, url, reply.status_code)


def test_every_route_answers_403_to_a_member_on_its_own_methods():
    client = Client()
    client.force_login(factories.user())
    for url, _, _ in _urls():
        for method in ("get", "post"):
            reply = getattr(client, method)(url)
            assert reply.status_code in (403, 405), (method, url)
        assert any(getattr(client, m)(url).status_code == 403 for m in ("get", "post")), url


def test_anonymous_visitors_are_sent_to_sign_in_or_refused():
    client = Client()
    for url, _, is_page in _urls():
        for method in ("get", "post"):
            reply = getattr(client, method)(url)
            if is_page and reply.status_code != 405:
                assert reply.status_code == 302 and "/accounts/sign-in" in reply["Location"], url
            else:
                assert reply.status_code in (401, 403, 405), (method, url)


def test_moderators_pass_moderator_routes_and_get_403_on_admin_routes():
    client = Client()
    client.force_login(factories.user(moderator=True))
    for url, role, _ in _urls():
        statuses = {m: getattr(client, m)(url).status_code for m in ("get", "post")}
        if role == ADMIN:
            assert 403 in statuses.values(), (url, statuses)
        else:
            assert 403 not in statuses.values(), (url, statuses)


def test_admins_pass_every_route():
    client = Client()
    client.force_login(User.objects.create_superuser("0x" + "22" * 20))
    for url, _, _ in _urls():
        statuses = {m: getattr(client, m)(url).status_code for m in ("get", "post")}
        assert 403 not in statuses.values() and 500 not in statuses.values(), (url, statuses)
