"""The model tree (issue 17): base models and datasets named in cards link to their listings, and
a listing shows what was built on it and, for a dataset, the models trained on it."""

import pytest
from django.test import Client

from listings.models import Listing
from listings.services.details import name_refs_sync
from payments.tests.access_helpers import published_listing

pytestmark = pytest.mark.django_db


def with_card(title: str, card: str, **fields) -> Listing:
    listing = published_listing(title=title)
    from listings.cards import parse_card

    Listing.objects.filter(pk=listing.pk).update(
        card=card, card_metadata=parse_card(card).metadata, **fields
    )
    listing.refresh_from_db()
    name_refs_sync(listing)  # what the services do when a card is saved
    return listing


def html(listing: Listing) -> str:
    reply = Client().get(f"/listings/{listing.slug}/")
    assert reply.status_code == 200
    return reply.content.decode()


def test_parents_children_and_datasets_link_across_listings():
    corpus = with_card("Wiki corpus", "---\ntask_categories: [fill-mask]\n---\nText.\n")
    base = with_card(
        "Tiny BERT",
        "---\nbase_model: bert-base-uncased\ndatasets: [wiki-corpus]\n---\nA model.\n",
    )
    child = with_card(
        "Tiny BERT sentiment",
        "---\nbase_model: tiny-bert\npipeline_tag: text-classification\n---\nTuned.\n",
        task="text-classification",
    )
    with_card("Unrelated", "---\nbase_model: something-else\n---\nNo.\n")

    page = html(base)
    assert '<a href="/listings/?q=bert-base-uncased">bert-base-uncased</a>' in page  # elsewhere
    assert f'<a href="/listings/{corpus.slug}/">wiki-corpus</a>' in page
    tree = page.split('data-testid="model-tree"', 1)[1].split("</section>", 1)[0]
    assert f'href="/listings/{child.slug}/">Tiny BERT sentiment</a>' in tree
    assert "Unrelated" not in tree

    page = html(child)
    assert f'<a href="/listings/{base.slug}/">tiny-bert</a>' in page
    trained = html(corpus).split('data-testid="trained-on"', 1)[1].split("</ul>", 1)[0]
    assert "Tiny BERT" in trained and "sentiment" not in trained


def test_no_tree_without_relations_and_hidden_listings_stay_hidden():
    alone = with_card("Alone", "---\npipeline_tag: fill-mask\n---\nAlone.\n")
    assert 'data-testid="model-tree"' not in html(alone)
    draft_child = with_card("Secret fine-tune", "---\nbase_model: alone\n---\nx\n")
    Listing.objects.filter(pk=draft_child.pk).update(status=Listing.Status.DRAFT)
    assert "Secret fine-tune" not in html(alone)


def test_saving_a_card_keeps_the_names_it_lists_as_rows():
    """What the model tree looks up: kept by the services whenever a card is saved."""
    from listings import services
    from listings.models import ListingNameRef

    listing = published_listing(title="Tuned")
    card = "---\nbase_model: [Tiny-BERT, tiny-bert]\ndatasets: wiki-corpus\n---\nx\n"
    services.listing_update(listing=listing, actor=listing.creator, card=card)
    rows = ListingNameRef.objects.filter(listing=listing).values_list("key", "name")
    assert sorted(rows) == [("base_model", "tiny-bert"), ("datasets", "wiki-corpus")]
    services.listing_update(listing=listing, actor=listing.creator, card="No front matter.")
    assert not ListingNameRef.objects.filter(listing=listing).exists()
