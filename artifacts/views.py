from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse


@login_required
def upload_demo(request):
    """A bare upload zone: the end-to-end test drives it, and it shows how to mount upload.js."""
    return render(
        request,
        "artifacts/upload_demo.html",
        {
            "create_url": reverse("artifacts-api:upload-create"),
            "max_bytes": settings.UPLOAD_MAX_BYTES,
            "chunk_bytes": settings.UPLOAD_CHUNK_BYTES,
            "extensions": ",".join(settings.UPLOAD_ALLOWED_EXTENSIONS),
        },
    )
