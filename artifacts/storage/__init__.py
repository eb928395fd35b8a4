"""Where artifact bytes live. One interface (`ArtifactStorage`), two backends: the local file
system (default) and an IPFS node through the Kubo RPC API. `get_storage()` gives the configured
one; `storage_for(artifact)` the one that holds a given artifact."""

from django.conf import settings

from artifacts.storage.base import ArtifactNotFound, ArtifactStorage, StorageError
from artifacts.storage.ipfs import IpfsStorage
from artifacts.storage.local import LocalStorage

BACKENDS: dict[str, type[ArtifactStorage]] = {"local": LocalStorage, "ipfs": IpfsStorage}

__all__ = [
    "ArtifactNotFound",
    "ArtifactStorage",
    "IpfsStorage",
    "LocalStorage",
    "StorageError",
    "get_storage",
    "storage_for",
]


def get_storage(name: str | None = None) -> ArtifactStorage:
    """A backend built from the current settings (cheap: backends hold no connections)."""
    name = name or settings.ARTIFACT_STORAGE
    try:
        return BACKENDS[name]()
    except KeyError:
        choices = ", ".join(sorted(BACKENDS))
        raise ValueError(f"ARTIFACT_STORAGE must be one of {choices}, not {name!r}") from None


def storage_for(artifact) -> ArtifactStorage:
    return get_storage(artifact.storage)
