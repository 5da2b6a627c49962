from integrations.online.tests.conftest import emitted  # noqa: F401 - shared fixtures
from tests.conftest import api, org  # noqa: F401
