"""Small assertions shared by the model tests."""

import pytest
from django.db import IntegrityError, transaction


def assert_rejected(factory, **kwargs) -> None:
    """The database refuses the row the factory would create with these values."""
    with pytest.raises(IntegrityError), transaction.atomic():
        factory(**kwargs)
