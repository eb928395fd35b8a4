from django import forms

from listings.models import Report
from listings.moderation.services import ACTIONS


class ActionForm(forms.Form):
    action = forms.ChoiceField(choices=[(a, a) for a in ACTIONS])
    reason = forms.CharField(required=False, max_length=2000)


class ResolveForm(forms.Form):
    status = forms.ChoiceField(
        choices=[(s, label) for s, label in Report.Status.choices if s != Report.Status.OPEN]
    )
    decision = forms.CharField(max_length=4000)


class ReportForm(forms.Form):
    category = forms.ChoiceField(choices=Report.Category.choices)
    text = forms.CharField(
        min_length=10,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        label="What is wrong?",
    )


class DenyForm(forms.Form):
    address = forms.CharField(max_length=64)
    reason = forms.CharField(max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class LiftForm(forms.Form):
    address = forms.CharField(max_length=64)
    reason = forms.CharField(required=False, max_length=2000)


class AuditFilterForm(forms.Form):
    action = forms.CharField(required=False, max_length=64)
    actor = forms.CharField(required=False, max_length=64)
    target = forms.CharField(required=False, max_length=64)
