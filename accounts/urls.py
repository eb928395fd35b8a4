"""Pages, mounted at /accounts/."""

from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("sign-in", views.sign_in_page, name="sign-in"),
    path("sign-out", views.sign_out, name="sign-out"),
    path("profile", views.profile, name="profile"),
]
