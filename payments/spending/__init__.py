"""What each API token may spend (caps per day and per listing, allow-list, expiry), and
what it has spent."""
