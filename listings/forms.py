"""Forms of the listing pages. They turn what people type (ETH, days, percentages) into what
the services take (wei, seconds, basis points), exactly: Decimal and int only."""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import ValidationError

from core.eth import is_address, to_checksum_address
from listings import selectors, services
from listings.cards import CardError, parse_card
from listings.models import Listing, Tier
from listings.money import AmountError, eth_to_wei, wei_to_eth

DAY = 86_400
SORT_CHOICES = [
    ("", "Best match"),
    ("newest", "Newest"),
    ("most_sold", "Most sold"),
    ("price_low", "Price: low to high"),
    ("price_high", "Price: high to low"),
]


class EthField(forms.Field):
    """An amount typed in ETH ("0.05"), cleaned to an exact int of wei."""

    def __init__(self, **kwargs):
        attrs = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = str(value or "").strip()
        if not value:
            return None
        if len(value) > 90:
            raise ValidationError("That amount is too long.", code="invalid")
        try:
            return eth_to_wei(value)
        except AmountError as exc:
            raise ValidationError(str(exc), code="invalid") from None


def _select(options: list[str], current: str, empty: str) -> forms.Select:
    # Keep a value that is in the URL but no longer used, so the form echoes what was asked.
    values = list(options) + ([current] if current and current not in options else [])
    return forms.Select(choices=[("", empty)] + [(v, v) for v in values])


class BrowseForm(forms.Form):
    """The browse page's GET form; every field is optional."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    kind = forms.ChoiceField(
        required=False, choices=[("", "Models and datasets"), *Listing.Kind.choices]
    )
    task = forms.CharField(required=False, max_length=64)
    license = forms.CharField(required=False, max_length=64, label="Licence")
    tags = forms.CharField(
        required=False, max_length=300, help_text="Comma-separated, all must match."
    )
    min_price = EthField(required=False, label="Min ETH")
    max_price = EthField(required=False, label="Max ETH")
    free = forms.BooleanField(required=False, label="Free only")
    compute = forms.BooleanField(required=False, label="Compute available")
    sort = forms.ChoiceField(required=False, choices=SORT_CHOICES)

    def __init__(self, *args, options: dict[str, list[str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["task"].widget = _select(options["task"], self.data.get("task", ""), "Any")
        self.fields["license"].widget = _select(
            options["license_id"], self.data.get("license", ""), "Any"
        )
        self.fields["q"].widget.attrs.update(type="search", placeholder="Search models and data")

    def clean(self):
        data = super().clean()
        low, high = data.get("min_price"), data.get("max_price")
        if low is not None and high is not None and low > high:
            self.add_error("max_price", "The maximum is below the minimum.")
        return data

    def filters(self) -> selectors.ListingFilters:
        data = self.cleaned_data
        tags = tuple(t.strip() for t in data["tags"].split(",") if t.strip())
        return selectors.ListingFilters(
            text=data["q"],
            kind=data["kind"],
            license=data["license"],
            task=data["task"],
            tags=tags,
            min_price_wei=data["min_price"],
            max_price_wei=data["max_price"],
            free=True if data["free"] else None,
            compute=True if data["compute"] else None,
            sort=data["sort"],
        )


class ListingCreateForm(forms.Form):
    kind = forms.ChoiceField(choices=Listing.Kind.choices, widget=forms.RadioSelect)
    title = forms.CharField(max_length=140)
    summary = forms.CharField(
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One or two sentences shown in search results.",
    )


class ListingDetailsForm(forms.Form):
    title = forms.CharField(max_length=140)
    summary = forms.CharField(max_length=300, required=False, widget=forms.Textarea({"rows": 2}))
    license_terms = forms.ModelChoiceField(
        queryset=None, required=False, label="Licence terms", empty_label="Choose licence terms…"
    )
    card = forms.CharField(
        required=False,
        label="Card",
        max_length=256 * 1024,
        widget=forms.Textarea(attrs={"rows": 18, "spellcheck": "false"}),
        help_text="Markdown, with optional YAML front matter (license, tags, pipeline_tag, "
        "library_name, base_model, datasets, language).",
    )

    preview_rows = forms.IntegerField(
        min_value=0,
        max_value=100,
        initial=0,
        required=False,
        label="Preview rows",
        help_text="Anyone may see this many first rows of each CSV, JSON Lines or Parquet file, "
        "with column statistics, before buying. 0 shows none; at most 100. Never the whole file.",
    )

    def __init__(self, *args, user, listing=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["license_terms"].queryset = selectors.license_terms_for_user(
            user=user, listing=listing
        )

    def clean_preview_rows(self):
        return self.cleaned_data["preview_rows"] or 0

    def clean_card(self):
        card = self.cleaned_data["card"]
        try:
            parse_card(card)  # the service checks again; this puts the message by the field
        except CardError as exc:
            raise ValidationError(str(exc)) from None
        return card


class TierForm(forms.Form):
    name = forms.CharField(max_length=80)
    price = EthField(label="Price (ETH)", help_text="0 makes the tier free.")
    duration_days = forms.DecimalField(
        label="Duration (days)",
        min_value=0,
        max_digits=16,
        decimal_places=6,
        initial=0,
        help_text="0 = perpetual.",
    )
    kind = forms.ChoiceField(choices=Tier.Kind.choices, initial=Tier.Kind.DOWNLOAD)
    transferable = forms.BooleanField(required=False, initial=True)
    supply_cap = forms.IntegerField(
        required=False, min_value=1, max_value=services.UINT32_MAX, help_text="Empty = no cap."
    )
    requires_approval = forms.BooleanField(
        required=False,
        label="Requires my approval",
        help_text="Free tiers only: people request access and you approve each request.",
    )
    # Not editable here (the editor prices in ETH); kept so saving never turns a token tier
    # into an ETH one.
    currency = forms.CharField(widget=forms.HiddenInput, initial=Tier.ETH, max_length=42)

    def spec(self) -> services.TierSpec:
        data = self.cleaned_data
        seconds = (data["duration_days"] * DAY).to_integral_value(ROUND_HALF_UP)
        return services.TierSpec(
            name=data["name"],
            price_wei=data["price"],
            currency=data["currency"],
            duration_seconds=int(seconds),
            transferable=data["transferable"],
            kind=data["kind"],
            supply_cap=data["supply_cap"],
            requires_approval=data["requires_approval"],
        )


def tier_initial(tier: Tier) -> dict:
    days = (Decimal(tier.duration_seconds) / DAY).quantize(Decimal("0.000001")).normalize()
    return {
        "name": tier.name,
        "price": wei_to_eth(tier.price_wei),
        "duration_days": format(days, "f"),
        "kind": tier.kind,
        "transferable": tier.transferable,
        "supply_cap": tier.supply_cap,
        "requires_approval": tier.requires_approval,
        "currency": tier.currency,
    }


def tiers_initial(tiers) -> list[dict]:
    """The listing's tiers, or one suggested row to fill in for a listing without any."""
    rows = [tier_initial(tier) for tier in tiers]
    return rows or [{"name": "Download licence", "duration_days": "0", "transferable": True}]


class BaseTierFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        if not self.specs():
            raise ValidationError("Add at least one tier.")

    def specs(self) -> list[services.TierSpec]:
        return [
            form.spec()
            for form in self.forms
            # Blank added rows clean to {}: skipped, like rows marked for removal.
            if form.cleaned_data and not self._should_delete_form(form)
        ]


TierFormSet = forms.formset_factory(
    TierForm,
    formset=BaseTierFormSet,
    extra=0,
    can_delete=True,
    max_num=services.MAX_TIERS,
    validate_max=True,
)


class SplitForm(forms.Form):
    address = forms.CharField(max_length=42, widget=forms.TextInput({"spellcheck": "false"}))
    percent = forms.DecimalField(
        label="Share (%)", min_value=Decimal("0.01"), max_value=100, decimal_places=2
    )
    label = forms.CharField(max_length=80, required=False)

    def clean_address(self):
        address = self.cleaned_data["address"].strip()
        if not is_address(address):
            raise ValidationError("Not a valid Ethereum address (0x and 40 hex digits).")
        return to_checksum_address(address)

    def share(self) -> tuple[str, int, str]:
        data = self.cleaned_data
        return data["address"], int(data["percent"] * 100), data["label"]


class BaseSplitFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        shares = self.shares()
        if not shares:
            raise ValidationError("Add at least one recipient.")
        addresses = [address for address, _, _ in shares]
        if len(set(addresses)) != len(addresses):
            raise ValidationError("Each address may appear only once.")
        total = sum(bps for _, bps, _ in shares)
        if total != 10_000:
            raise ValidationError(f"The shares add up to {Decimal(total) / 100}%, not 100%.")

    def shares(self) -> list[tuple[str, int, str]]:
        return [
            form.share()
            for form in self.forms
            # Blank added rows clean to {}: skipped, like rows marked for removal.
            if form.cleaned_data and not self._should_delete_form(form)
        ]


SplitFormSet = forms.formset_factory(
    SplitForm,
    formset=BaseSplitFormSet,
    extra=0,
    can_delete=True,
    max_num=services.MAX_SPLITS,
    validate_max=True,
)


def split_initial(splits, creator_address: str) -> list[dict]:
    """The creator's own row first: it is the one most people change."""
    rows = sorted(splits, key=lambda s: s.address != creator_address)
    return [{"address": s.address, "percent": Decimal(s.bps) / 100, "label": s.label} for s in rows]


class StatusForm(forms.Form):
    to_status = forms.ChoiceField(choices=Listing.Status.choices)
    reason = forms.CharField(required=False, max_length=2000, widget=forms.Textarea({"rows": 2}))
