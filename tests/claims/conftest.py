import pytest

from huzhu.accounts.roles import Role
from tests.conftest import make_user


@pytest.fixture(autouse=True)
def _files(settings, tmp_path):
    settings.HUZHU_FILES_DIR = tmp_path / "files"


@pytest.fixture
def reviewers(tree):
    class Reviewers:
        agency = make_user("agency_claims", Role.AGENCY, tree.district)
        hutang_agency = make_user("agency_hutang", Role.AGENCY, tree.hutang)
        district = make_user("district_claims", Role.DISTRICT_ADMIN, tree.district, True)
        district_b = make_user("district_claims_b", Role.DISTRICT_ADMIN, tree.district, True)
        clerk = make_user("clerk_claims", Role.GRASSROOTS_CLERK, tree.hutang_union)

    return Reviewers
