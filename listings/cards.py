"""Model/dataset cards: Markdown with YAML front matter in the model-hub format.

Front matter keys follow the hub's card spec (license, tags, pipeline_tag, library_name,
base_model, datasets, language, ...). We parse with a safe loader that refuses anchors and
aliases and caps the node count and depth, normalise the keys we
filter on, keep the rest as given, and render the body to sanitised HTML."""

import functools
import re
from dataclasses import dataclass, field

import nh3
import yaml

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)
MAX_CARD_BYTES = 256 * 1024

# Hub spellings we accept for each normalised key (first one wins).
ALIASES = {
    "license": ["license"],
    "tags": ["tags"],
    "task": ["pipeline_tag", "task", "task_categories"],
    "library": ["library_name", "library"],
    "base_model": ["base_model"],
    # What a model is of its base: finetune, quantized, adapter, merge (listings/model_tree.py).
    "base_model_relation": ["base_model_relation"],
    "datasets": ["datasets"],
    "language": ["language"],
    "parameter_count": ["parameter_count", "parameters", "num_parameters"],
    "size_category": ["size_categories", "size_category"],
}
LIST_KEYS = {"tags", "base_model", "datasets", "language", "size_category", "task"}


@functools.cache
def _markdown():
    # Built on the first card rendered (a listing page), not when the URLs load: most requests
    # (the API, cached pages) never render Markdown.
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"img"}


class CardError(ValueError):
    """A card the site cannot accept; the message says what to fix."""


MAX_YAML_NODES = 2000
MAX_YAML_DEPTH = 20


class _CardLoader(yaml.SafeLoader):
    """safe_load without anchors and aliases (a few hundred bytes of aliases expand into
    megabytes, and a self-referencing one recursed into a 500), and with caps on the number of
    nodes and their depth: front matter is a flat list of keys."""

    def __init__(self, stream):
        super().__init__(stream)
        self.card_nodes = self.card_depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise CardError(
                "The card's YAML front matter uses anchors or aliases (& and *); "
                "write the values out instead."
            )
        self.card_nodes += 1
        self.card_depth += 1
        if self.card_nodes > MAX_YAML_NODES or self.card_depth > MAX_YAML_DEPTH:
            raise CardError(
                f"The card's YAML front matter is too large (at most {MAX_YAML_NODES} values, "
                f"nested at most {MAX_YAML_DEPTH} deep)."
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.card_depth -= 1


@dataclass
class Card:
    metadata: dict = field(default_factory=dict)  # normalised keys (see ALIASES)
    extra: dict = field(default_factory=dict)  # every other front matter key, as written
    body: str = ""

    @property
    def task(self) -> str:
        tasks = self.metadata.get("task") or []
        return tasks[0] if tasks else ""


def parse_card(text: str) -> Card:
    if len(text.encode()) > MAX_CARD_BYTES:
        raise CardError(f"The card is larger than {MAX_CARD_BYTES // 1024} KiB.")
    match = FRONT_MATTER.match(text)
    if not match:
        return Card(body=text)
    try:
        raw = yaml.load(match.group(1), Loader=_CardLoader) or {}  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" on line {where.line + 2}" if where else ""
        raise CardError(f"The card's YAML front matter is not valid{line}.") from exc
    if not isinstance(raw, dict):
        raise CardError("The card's YAML front matter must be a mapping of keys to values.")
    metadata, extra = _normalise(raw)
    return Card(metadata=metadata, extra=extra, body=text[match.end() :])


def _normalise(raw: dict) -> tuple[dict, dict]:
    metadata: dict = {}
    used: set = set()
    for key, spellings in ALIASES.items():
        for spelling in spellings:
            if spelling in raw:
                metadata[key] = _clean_value(key, raw[spelling])
                used.add(spelling)
                break
    extra = {str(k): v for k, v in raw.items() if k not in used}
    return metadata, _json_safe(extra)


def _clean_value(key: str, value):
    if key == "parameter_count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise CardError("parameter_count must be a whole number of parameters.")
        return value
    if key in LIST_KEYS:
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | float) for v in values):
            raise CardError(f"'{key}' must be a string or a list of strings.")
        return [str(v).strip()[:100] for v in values if str(v).strip()][:50]
    if not isinstance(value, str | int | float):
        raise CardError(f"'{key}' must be a string.")
    return str(value).strip()[:100]


def _json_safe(value):
    """YAML may yield dates and other objects; keep what JSON can hold, stringify the rest."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def render_markdown(body: str) -> str:
    """Markdown to HTML that is safe to show: raw HTML is escaped by the parser, and nh3
    (ammonia) removes anything dangerous that Markdown itself can produce (javascript: links)."""
    html = _markdown().render(body)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        # A long code line scrolls inside its box; keyboard users must be able to scroll it too.
        set_tag_attribute_values={"pre": {"tabindex": "0"}},
    )
