"""`manage.py index_chain`: index our contracts' events up to the chain head (less the
confirmations), with a progress bar; the Celery beat task does the same continuously.

    manage.py index_chain                     # catch up from the cursor
    manage.py index_chain --from-block 1200   # backfill: index again from block 1200
    manage.py index_chain --reset             # undo everything, start again at the deployment
    manage.py index_chain --follow            # keep following the chain until Ctrl-C"""

import time

from django.core.management.base import BaseCommand, CommandError

from chain import client
from chain.indexer import Indexer, ReorgTooDeep, RpcUnavailable, deployment_target

BAR_WIDTH = 30


class Progress:
    """A one-line progress bar on a terminal; a line per ~10 % elsewhere (logs, CI)."""

    def __init__(self, out, *, first: int, last: int):
        self.out, self.first, self.last = out, first, max(first, last)
        self.logs, self.started, self.shown = 0, time.monotonic(), -1
        self.tty = out.isatty()

    def update(self, block: int, logs: int) -> None:
        self.logs += logs
        span = max(1, self.last - self.first + 1)
        done = min(1.0, max(0.0, (block - self.first + 1) / span))
        if not self.tty and int(done * 10) == self.shown:
            return
        self.shown = int(done * 10)
        rate = self.logs / max(1e-6, time.monotonic() - self.started)
        bar = "#" * int(done * BAR_WIDTH)
        line = (
            f"[{bar:<{BAR_WIDTH}}] {done:4.0%}  block {block:,}/{self.last:,}  "
            f"{self.logs:,} events  {rate:,.0f}/s"
        )
        self.out.write(("\r" + line) if self.tty else line, ending="" if self.tty else "\n")
        self.out.flush()

    def close(self) -> None:
        if self.tty:
            self.out.write("")


class Command(BaseCommand):
    help = "Index the marketplace contracts' events (backfill or catch up), with progress."

    def add_arguments(self, parser):
        parser.add_argument("--from-block", type=int, help="Index again from this block.")
        parser.add_argument("--reset", action="store_true", help="Start over at the deployment.")
        parser.add_argument("--follow", action="store_true", help="Keep following the chain.")
        parser.add_argument("--confirmations", type=int, help="Default: settings.CONFIRMATIONS.")
        parser.add_argument("--max-range", type=int, help="Most blocks per eth_getLogs call.")

    def handle(self, *args, from_block, reset, follow, confirmations, max_range, **options):
        target = deployment_target()
        if target is None:
            self.stdout.write("Nothing deployed on this chain yet: nothing to index.")
            return
        indexer = Indexer(confirmations=confirmations, max_range=max_range)
        try:
            if reset or from_block is not None:
                block = target.start_block if reset else from_block
                indexer.start_at(block)
                self.stdout.write(f"Indexing again from block {block:,}.")
            self._catch_up(indexer, target)
            while follow:
                indexer.follow(seconds=60)
        except (ValueError, client.DeploymentMissing, ReorgTooDeep, RpcUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            self.stdout.write("\nStopped.")

    def _catch_up(self, indexer: Indexer, target) -> None:
        cursor = indexer.cursor(target)
        head = indexer.source.head() - indexer.confirmations
        progress = Progress(self.stdout, first=cursor.block_number + 1, last=head)
        last = indexer.run(
            on_step=lambda step: (
                step.outcome == "advanced" and progress.update(step.to_block, step.logs)
            )
        )
        progress.close()
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed up to block {last.cursor:,} (head {last.head:,}, "
                f"{indexer.confirmations} confirmations); {progress.logs:,} events."
            )
        )
