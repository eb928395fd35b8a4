from django.contrib.auth import logout
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST


def sign_in_page(request):
    return render(request, "accounts/sign_in.html")


@require_POST
def sign_out(request):
    logout(request)
    return redirect("home")
