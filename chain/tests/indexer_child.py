"""`manage.py index_chain` in a child process, for crash and concurrency tests. It adds one
subscriber that prints a line for each batch holding a licence transfer (a purchase) and, at
the INDEXER_TEST_STALL_AT-th such batch, stalls inside the indexer's transaction: after every
app's handlers have written their rows, before the commit. A test SIGKILLs it there.

    python -m chain.tests.indexer_child --confirmations=0 --max-range=1"""

import os
import sys
import time


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "marketplace.settings")
    django.setup()
    from django.core.management import call_command

    from chain import registry

    stall_at = int(os.environ.get("INDEXER_TEST_STALL_AT", "0"))
    pause = float(os.environ.get("INDEXER_TEST_PAUSE", "0"))
    seen = 0

    def announce(logs) -> None:
        nonlocal seen
        seen += 1
        print(f"batch {os.getpid()} {logs[0].block_number}", flush=True)
        time.sleep(600 if seen == stall_at else pause)

    # Registered after payments (in ready()), so it runs after payments' handlers.
    registry.register("zz-test-announce", handlers={("LicenseToken", "TransferSingle"): announce})
    call_command("index_chain", *sys.argv[1:])


if __name__ == "__main__":
    main()
