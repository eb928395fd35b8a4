"""Issue 15: YAML front matter without anchors and aliases (a few hundred bytes expanded into
megabytes and seconds of CPU; a self-referencing alias was a 500), and with node/depth caps."""

import pytest

from listings.cards import MAX_YAML_DEPTH, CardError, parse_card
from listings.tests import factories
from payments.tests.access_helpers import api_for

pytestmark = pytest.mark.django_db
LAUGHS = (
    "---\na: &a [x, x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(5)
    )
    + "---\nbody\n"
)
SELF = "---\na: &a [*a]\n---\nbody\n"


def preview(card: str):
    return api_for(factories.user()).post(
        "/api/v1/listings/preview-card", {"card": card}, format="json"
    )


@pytest.mark.parametrize("card", [LAUGHS, SELF, "---\nlicense: &l mit\nother: *l\n---\n"])
def test_anchors_and_aliases_are_refused_with_a_clear_400(card):
    assert len(LAUGHS) < 400
    reply = preview(card)
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert error["code"] == "invalid_card" and "anchors or aliases" in error["message"]


def test_deep_or_huge_front_matter_is_refused():
    deep = "---\nx: " + "[" * (MAX_YAML_DEPTH + 5) + "]" * (MAX_YAML_DEPTH + 5) + "\n---\n"
    with pytest.raises(CardError, match="too large"):
        parse_card(deep)
    wide = "---\ntags: [" + ", ".join(["t"] * 3000) + "]\n---\n"
    assert preview(wide).status_code == 400


def test_an_ordinary_card_still_parses():
    card = parse_card("---\nlicense: mit\ntags: [a, b]\npipeline_tag: text-classification\n---\nHi")
    assert card.metadata["license"] == "mit" and card.task == "text-classification"
