"""Forms of the gated-access pages."""

from django import forms

from payments.access.gated import MAX_INTENDED_USE


class AccessRequestForm(forms.Form):
    tier = forms.TypedChoiceField(coerce=int, label="Tier")
    intended_use = forms.CharField(
        max_length=MAX_INTENDED_USE,
        label="How will you use it?",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="The creator reads this before deciding.",
    )
    organisation = forms.CharField(max_length=200, required=False, label="Organisation")
    accept_terms = forms.BooleanField(label="I accept the listing's licence terms")

    def __init__(self, *args, tiers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [(tier.position, tier.name) for tier in tiers]
        if len(tiers) == 1:
            self.fields["tier"].initial = tiers[0].position
            self.fields["tier"].widget = forms.HiddenInput()


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approved", "Approve"), ("denied", "Deny"), ("revoked", "Revoke")]
    )
    reason = forms.CharField(max_length=2000, required=False, widget=forms.Textarea({"rows": 2}))
