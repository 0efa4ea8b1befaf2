from django.apps import AppConfig


class DbToolsConfig(AppConfig):
    """Test-only: the `flush` the test runner calls between transactional tests."""

    name = "tests.dbtools"
    label = "dbtools"
