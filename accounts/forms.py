from django import forms

from accounts.models import User


class ProfileForm(forms.Form):
    display_name = forms.CharField(
        max_length=User._meta.get_field("display_name").max_length,
        required=False,
        help_text="Shown instead of your address on listings and in the header.",
    )
    email = forms.EmailField(
        required=False,
        help_text="Optional. Only used to tell you about your sales and purchases.",
    )
    bio = forms.CharField(
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown on your public creator page.",
    )
    links = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Your site, a repository…: one https:// address per line, three at most.",
    )
