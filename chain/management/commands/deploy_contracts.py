"""`manage.py deploy_contracts`: deploy what the configured chain lacks (idempotent)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from eth_account import Account

from chain.client import deployment_path, get_web3
from chain.deploy import DeployConfig, deploy_all


class Command(BaseCommand):
    help = (
        "Deploy EAS (with our schemas) and the Marketplace to CHAIN_RPC_URL, skipping what "
        "the deployment file lists and the chain still has; writes "
        "contracts/deployments/<chainId>.json."
    )

    def add_arguments(self, parser):
        parser.add_argument("--output", type=Path, help="deployment file (default: per settings)")

    def handle(self, *args, output: Path | None = None, **options):
        w3 = get_web3()
        if not w3.is_connected():
            raise CommandError(f"no chain answers at {settings.CHAIN_RPC_URL}")
        chain_id = w3.eth.chain_id
        if chain_id != settings.CHAIN_ID:
            raise CommandError(
                f"chain id is {chain_id}, settings.CHAIN_ID says {settings.CHAIN_ID}"
            )
        relayer_key = settings.CHAIN_RELAYER_KEY or settings.CHAIN_DEPLOYER_KEY
        config = DeployConfig(
            site_url=settings.SITE_URL,
            fee_bps=settings.CHAIN_PLATFORM_FEE_BPS,
            fee_recipient=settings.CHAIN_PLATFORM_FEE_RECIPIENT or None,
            test_tokens=settings.CHAIN_TEST_TOKENS,
            relayers=(Account.from_key(relayer_key).address,),
        )
        path = output or deployment_path(chain_id)
        result = deploy_all(
            w3=w3,
            account=Account.from_key(settings.CHAIN_DEPLOYER_KEY),
            output_path=path,
            config=config,
            log=lambda line: self.stdout.write(f"  {line}"),
        )
        done = ", ".join(result.deployed) or "nothing new"
        self.stdout.write(self.style.SUCCESS(f"Deployed {done}; wrote {path}"))
