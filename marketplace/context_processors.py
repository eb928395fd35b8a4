from django.conf import settings


def chain(request):
    """Chain facts every page's wallet script needs (which network to ask the wallet for)."""
    return {"chain_id": settings.CHAIN_ID, "chain_id_hex": hex(settings.CHAIN_ID)}
