"""Pages, mounted at /artifacts/."""

from django.urls import path

from artifacts import views

app_name = "artifacts"

urlpatterns = [
    path("upload", views.upload_demo, name="upload-demo"),
]
