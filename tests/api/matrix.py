"""Machinery of the access matrix (the table itself is tests/api/access_matrix.py): enumerate
every API route and method from the URL resolver, and run one request per (row, role), each in
a savepoint rolled back afterwards so no cell sees another's writes."""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from tests.api.world import ROLES, World

API_PREFIX = "api/v1/"
METHODS = ("get", "post", "put", "patch", "delete")


def expect(default: int, **per_role: int) -> dict[str, int]:
    """Expected status per role: `default` for every role not named."""
    unknown = set(per_role) - set(ROLES)
    assert not unknown, f"unknown roles {unknown}"
    return {role: per_role.get(role, default) for role in ROLES}


def signed_in(status: int, **per_role: int) -> dict[str, int]:
    """Any signed-in user gets `status`; anonymous requests 403 (DRF: no credentials)."""
    return expect(status, **{"anonymous": 403, **per_role})


def owner(status: int, *, others: int = 404, **per_role: int) -> dict[str, int]:
    """Only the creator (owner of the listing, upload, token) gets `status`; other users get
    `others` (404: someone else's object is not revealed), anonymous 403."""
    return expect(others, **{"anonymous": 403, "creator": status, **per_role})


def staff(status: int, *, others: int = 403, **per_role: int) -> dict[str, int]:
    """Moderators and admins get `status`; other users `others`, anonymous 403."""
    return expect(others, **{"anonymous": 403, "moderator": status, "admin": status, **per_role})


def public(status: int, **per_role: int) -> dict[str, int]:
    return expect(status, **per_role)


@dataclass(frozen=True)
class Row:
    expected: dict[str, int]
    body: object = None  # JSON body, or a callable(world) -> body
    query: dict = field(default_factory=dict)
    kwargs: dict = field(default_factory=dict)  # URL kwargs beyond World.values (or callables)
    raw: tuple[bytes, str, dict] | None = None  # (bytes, content type, extra headers)
    note: str = ""


def api_routes() -> Iterator[tuple[str, str, URLPattern]]:
    """(METHOD, route, pattern) for every view method under /api/v1/."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            else:
                yield prefix + str(pattern.pattern), pattern

    for route, pattern in walk(get_resolver().url_patterns):
        if not route.startswith(API_PREFIX):
            continue
        view = getattr(pattern.callback, "view_class", None) or getattr(
            pattern.callback, "cls", None
        )
        methods = [m for m in METHODS if view is not None and hasattr(view, m)]
        if view is None:  # a function view: ask its decorator's allowed methods if any
            methods = ["get"]
        for method in methods:
            yield method.upper(), route, pattern


def missing_rows(table: dict) -> list[str]:
    return sorted(f"{m} /{r}" for m, r, _ in api_routes() if (m, r) not in table)


def stale_rows(table: dict) -> list[str]:
    present = {(m, r) for m, r, _ in api_routes()}
    return sorted(f"{m} /{r}" for m, r in table if (m, r) not in present)


def _resolve(value, world: World):
    return value(world) if isinstance(value, Callable) else value


def path_for(route: str, row: Row, world: World) -> str:
    kwargs = {}
    for name in _route_kwargs(route):
        value = row.kwargs.get(name, world.values.get(name))
        assert value is not None, f"/{route}: no value for <{name}> (add it to the row's kwargs)"
        kwargs[name] = _resolve(value, world)
    path = "/" + route
    for name, value in kwargs.items():
        path = _substitute(path, name, str(value))
    return path


def _route_kwargs(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _substitute(path: str, name: str, value: str) -> str:
    return re.sub(rf"<(?:\w+:)?{name}>", value, path, count=1)


def client_for(world: World, role: str) -> APIClient:
    client = APIClient()
    user = world.users[role]
    if user is not None:
        client.force_authenticate(user)
    return client


def run_cell(world: World, role: str, method: str, path: str, row: Row) -> int:
    client = client_for(world, role)
    call = getattr(client, method.lower())
    with transaction.atomic():
        if row.raw is not None:
            data, content_type, headers = row.raw
            response = call(path, data=data, content_type=content_type, headers=headers)
        elif method == "GET":
            response = call(path, row.query)
        else:
            body = _resolve(row.body, world)
            suffix = "?" + urlencode(row.query) if row.query else ""
            response = call(path + suffix, body, format="json")
        transaction.set_rollback(True)
    return response.status_code
