"""Every API endpoint × every role → the expected status, from the one table in
tests/api/access_matrix.py. A route without a row fails, so a new endpoint cannot ship
without someone deciding who may call it."""

import pytest

from tests.api.access_matrix import TABLE
from tests.api.matrix import api_routes, missing_rows, path_for, run_cell, stale_rows
from tests.api.world import ROLES, build_world


def test_every_api_route_has_a_row():
    missing = missing_rows(TABLE)
    assert not missing, "add rows to tests/api/access_matrix.py for:\n" + "\n".join(missing)


def test_no_row_outlives_its_route():
    assert not stale_rows(TABLE), "rows for routes that no longer exist"


def test_a_route_added_without_a_row_fails(settings):
    settings.ROOT_URLCONF = "tests.api.urls_with_extra_route"
    assert "GET /api/v1/unlisted" in missing_rows(TABLE)


@pytest.mark.chain
@pytest.mark.django_db
def test_every_role_gets_the_expected_status_from_every_endpoint(contracts, w3, settings):
    settings.API_THROTTLE_RATES = {}  # limits have their own tests; here every cell must run
    settings.LISTINGS_REQUIRE_REVIEW = True
    world = build_world()
    patterns = {(method, route) for method, route, _ in api_routes()}
    wrong = []
    for (method, route), row in sorted(TABLE.items(), key=lambda item: item[0][1]):
        if (method, route) not in patterns:
            continue
        path = path_for(route, row, world)
        for role in ROLES:
            got = run_cell(world, role, method, path, row)
            if got != row.expected[role]:
                wrong.append(f"{method} {path} as {role}: {got}, expected {row.expected[role]}")
    assert not wrong, f"{len(wrong)} cells differ:\n" + "\n".join(wrong)
