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
