from django.apps import AppConfig


class ListingsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "listings"

    def ready(self) -> None:
        # The ownership token's transfers move control of the listing (listings.ownership).
        from listings import ownership

        ownership.register()

        from listings import page_cache

        page_cache.connect_invalidation()

        from artifacts.selectors import artifact_visibility_register
        from listings.selectors import artifact_in_visible_listing

        artifact_visibility_register(artifact_in_visible_listing)
