import datetime as dt

import pytest

from records.synthetic import DistrictSpec, generate_district

SMALL = DistrictSpec(students=40, schools=3, start=dt.date(2025, 8, 18), school_days=25, seed=7)


@pytest.fixture(scope="session")
def small_district(tmp_path_factory):
    """A generated 40-student, 25-day district in the interchange format (made once)."""
    folder = tmp_path_factory.mktemp("district")
    generate_district(SMALL, folder, folder / "truth" / "true_risk.csv")
    return folder
