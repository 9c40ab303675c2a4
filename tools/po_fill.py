"""Fill msgstrs into the zh_CN catalogue from a JSON file {msgid: msgstr} (a plural
msgid is its singular), then `make messages` compiles it. Used when adding messages:
    python tools/po_fill.py translations.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).resolve().parents[1] / "src/procdoc/locale/zh_CN/LC_MESSAGES/procdoc.po"


def main() -> None:
    wanted = json.loads(Path(sys.argv[1]).read_text(encoding="utf-8"))
    with PO.open("rb") as f:
        catalog = read_po(f)
    filled = 0
    for message in catalog:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if key in wanted:
            text = wanted[key]
            message.string = (text,) if isinstance(message.id, tuple) else text
            message.flags.discard("fuzzy")
            filled += 1
    with PO.open("wb") as f:
        write_po(f, catalog, width=88, sort_by_file=True)
    print(f"{filled} filled")


if __name__ == "__main__":
    main()
