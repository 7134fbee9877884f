"""Issue 14: values a hostile feed can write that once raised outside the MessageError tree."""

from __future__ import annotations

import pytest

from consumers import dates


@pytest.mark.parametrize(
    "written",
    ["9999-12-31T23:59:59-01:00", "0001-01-01T00:00:00+01:00", "Fri, 31 Dec 9999 23:59:59 -0100"],
)
def test_a_date_past_the_ends_of_datetime_is_unreadable_not_an_error(written: str) -> None:
    assert dates.parse(written) is None
    assert dates.utc_string({"raw": written, "utc": written}) is None
