import pytest

from listings.cards import CardError, parse_card, render_markdown

HUB_CARD = """---
license: apache-2.0
tags: [text-classification, bert]
pipeline_tag: text-classification
library_name: transformers
base_model: bert-base-uncased
datasets:
  - imdb
language: en
parameter_count: 110000000
model-index: [{name: tiny}]
---
# Tiny sentiment model

Fine-tuned on **IMDB**.
"""


def test_hub_front_matter_is_normalised():
    card = parse_card(HUB_CARD)
    assert card.metadata == {
        "license": "apache-2.0",
        "tags": ["text-classification", "bert"],
        "task": ["text-classification"],
        "library": "transformers",
        "base_model": ["bert-base-uncased"],
        "datasets": ["imdb"],
        "language": ["en"],
        "parameter_count": 110000000,
    }
    assert card.task == "text-classification"
    assert card.extra == {"model-index": [{"name": "tiny"}]}
    assert card.body.startswith("# Tiny sentiment model")


def test_dataset_card_keys():
    card = parse_card("---\ntask_categories: [translation]\nsize_categories: 1K<n<10K\n---\nx")
    assert card.metadata == {"task": ["translation"], "size_category": ["1K<n<10K"]}


def test_card_without_front_matter_is_all_body():
    assert parse_card("just text").body == "just text"
    assert parse_card("").metadata == {}


@pytest.mark.parametrize(
    "text, message",
    [
        ("---\nlicense: [unclosed\n---\n", "not valid on line"),
        ("---\n- a list\n---\n", "must be a mapping"),
        ("---\nparameter_count: lots\n---\n", "parameter_count"),
        ("---\nlicense: {a: 1}\n---\n", "'license' must be a string"),
        ("---\ntags: [{a: 1}]\n---\n", "'tags' must be a string or a list"),
        ("x" * (300 * 1024), "larger than"),
    ],
)
def test_bad_cards_say_what_to_fix(text, message):
    with pytest.raises(CardError, match=message):
        parse_card(text)


def test_yaml_cannot_build_python_objects():
    with pytest.raises(CardError):
        parse_card("---\nx: !!python/object/apply:os.system ['true']\n---\n")


def test_dates_in_front_matter_stay_json_safe():
    card = parse_card("---\nreleased: 2024-01-02\n---\n")
    assert card.extra == {"released": "2024-01-02"}


@pytest.mark.parametrize(
    "markdown, forbidden",
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", 'href="javascript'),
        ("<a href='javascript:alert(1)'>x</a>", "<a "),
        ('<img src=x onerror="alert(1)">', "<img"),
        ("![x](data:text/html;base64,PHNjcmlwdD4=)", 'src="data'),
    ],
)
def test_markdown_is_sanitised(markdown, forbidden):
    assert forbidden not in render_markdown(markdown)


def test_markdown_keeps_formatting_and_marks_links():
    html = render_markdown(
        "# Title\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[site](https://x.org) ![i](https://x.org/i.png)"
    )
    assert '<img src="https://x.org/i.png" alt="i">' in html
    assert "<h1>Title</h1>" in html
    assert "<table>" in html
    assert 'rel="noopener noreferrer nofollow"' in html
