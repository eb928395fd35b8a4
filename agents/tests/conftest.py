from compute.tests.helpers import compute_settings  # noqa: F401 (fixture)
from payments.tests.access_helpers import artifact_store  # noqa: F401 (autouse fixture)
