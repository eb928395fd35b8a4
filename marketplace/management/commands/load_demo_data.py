"""`manage.py load_demo_data`: seed the demo listings (once; `make run` calls it when DEMO_DATA
is on)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from marketplace.demo import demo_data_load


class Command(BaseCommand):
    help = "Create the demo creators and listings unless they exist."

    def add_arguments(self, parser):
        parser.add_argument("--force", action="store_true", help="even when DEMO_DATA is off")

    def handle(self, *args, force: bool = False, **options):
        if not (settings.DEMO_DATA or force):
            self.stdout.write("DEMO_DATA is off: no demo listings.")
            return
        created = demo_data_load()
        if created:
            titles = ", ".join(listing.title for listing in created)
            self.stdout.write(self.style.SUCCESS(f"Demo listings created: {titles}"))
