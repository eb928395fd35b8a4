from django.apps import AppConfig


class ListingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "listings"

    def ready(self) -> None:
        from artifacts.selectors import artifact_visibility_register
        from listings.selectors import artifact_in_visible_listing

        artifact_visibility_register(artifact_in_visible_listing)
