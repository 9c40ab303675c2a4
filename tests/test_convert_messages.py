"""Why an export's date is not a date, said in procdoc's words (Python's are English)."""

from __future__ import annotations

import pytest

from procdoc.importer.convert import ConversionError, to_datetime


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("2026-09-31 09:15", "no such day in that month"),
        ("2026-13-01", "no such month"),
        ("2026-02-30", "no such day in that month"),
        ("2026-02-03 25:00", "no such hour"),
    ],
)
def test_a_date_that_is_no_date_says_why_in_procdocs_words(text: str, why: str) -> None:
    with pytest.raises(ConversionError) as info:
        to_datetime(text, zone="Asia/Shanghai")
    assert str(info.value).endswith(f"is not a date ({why})")
    assert "range" not in str(info.value) and "must be" not in str(info.value)
