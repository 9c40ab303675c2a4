"""Hyphens that never end a line in a document procdoc writes (no imports beyond ``re``:
the daily brief uses it without loading the template engine)."""

from __future__ import annotations

import re

_TEXT_RUN = re.compile(r"<w:t(?:\s[^>]*)?>([^<]*)</w:t>")
_HYPHEN_IN_NUMBER = re.compile(r"(?<=[A-Za-z0-9])-(?=[0-9])")
_NO_BREAK_HYPHEN = '</w:t><w:noBreakHyphen/><w:t xml:space="preserve">'


def keep_numbers_whole(xml: str) -> str:
    """Each hyphen between a letter or digit and a digit in the document's text (a case
    id XF2026-0001, a date 2026-11-20, a phone number 010-12345678) as Word's
    non-breaking hyphen (``<w:noBreakHyphen/>``, shown and copied as "-"): Word and
    LibreOffice break a line after a hyphen, which printed "XF2026-" at the end of one
    line of a letter and "0001" on the next."""

    def whole(m: re.Match[str]) -> str:
        text = m.group(1)
        if "-" not in text or _HYPHEN_IN_NUMBER.search(text) is None:
            return m.group(0)
        pieces = _HYPHEN_IN_NUMBER.split(text)
        return '<w:t xml:space="preserve">' + _NO_BREAK_HYPHEN.join(pieces) + "</w:t>"

    return _TEXT_RUN.sub(whole, xml)
