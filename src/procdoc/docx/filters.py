"""The filters procdoc's templates may use beyond Jinja's own.

``rmb_upper``: an amount in Chinese capital numerals as a 报销审批单, a receipt or a cheque
writes it (人民币大写, 《正确填写票据和结算凭证的基本规定》): ``1234.5`` →
``壹仟贰佰叁拾肆元伍角整``. Rounded to the 分; 整 after 元 or 角 (none after 分); 壹拾 for
a ten (``10`` → ``壹拾元整``); one 零 for a run of zeros between digits (``1004.56`` →
``壹仟零肆元伍角陆分``, ``100.05`` → ``壹佰元零伍分``); an amount under one 元 starts
at its 角 or 分 (``0.5`` → ``伍角整``).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

DIGITS = "零壹贰叁肆伍陆柒捌玖"
#: the places within a group of four digits, and the unit of each group
PLACES = ("", "拾", "佰", "仟")
GROUPS = ("", "万", "亿", "万亿")


def _amount(value: Any) -> Decimal | None:
    """The value as an amount in 分 precision, None when it is no number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float | Decimal):
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "").replace("，", "")
        text = text.removeprefix("¥").removeprefix("￥").removesuffix("元").strip()
    else:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    try:
        amount = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # too many digits for the 分 (1e30): not an amount
        return None
    return amount if amount else abs(amount)  # -0.001 is 0.00, not -0.00


def _group(n: int) -> str:
    """A group of four digits (1..9999), with 零 for a zero between its digits."""
    out = ""
    zero = False
    for place in range(3, -1, -1):
        digit = n // 10**place % 10
        if digit == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += DIGITS[digit] + PLACES[place]
    return out


def _integer(n: int) -> str:
    """A whole number of 元 (1 .. 10^16 - 1) in capital numerals."""
    groups = []
    while n:
        groups.append(n % 10000)
        n //= 10000
    out = ""
    zero = False  # a zero seen since the last digit written
    for k in range(len(groups) - 1, -1, -1):
        g = groups[k]
        if g == 0:
            zero = bool(out)
            continue
        if out and (zero or g < 1000):
            out += "零"
        out += _group(g) + GROUPS[k]
        zero = False
    return out


def rmb_upper(value: Any) -> str:
    """``value`` (a number, or text holding one: ``1,234.50``, ``¥1234.5``) in Chinese
    capital numerals; "" for an empty value, and any other text as it is."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    amount = _amount(value)
    if amount is None or abs(amount) >= Decimal(10) ** 16:
        return str(value)
    sign = "负" if amount < 0 else ""
    fen_total = int(abs(amount) * 100)
    yuan, jiao, fen = fen_total // 100, fen_total // 10 % 10, fen_total % 10
    out = _integer(yuan) + "元" if yuan else ""
    if jiao:
        out += DIGITS[jiao] + "角"
    elif fen and yuan:
        out += "零"  # 元 and 分 with no 角 between: 壹佰元零伍分
    if fen:
        out += DIGITS[fen] + "分"
    else:
        out = (out or "零元") + "整"
    return sign + out


def money(value: Any) -> str:
    """``value`` as an amount is written in figures on a form (人民币小写): ``2,130.40``
    for 2130.4 (thousands separated, two decimals, rounded to the 分); "" for an empty
    value, and any other text as it is."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return ""
    amount = _amount(value)
    return str(value) if amount is None else f"{amount:,.2f}"


#: name -> filter, added to the documents' Jinja environment.
FILTERS: dict[str, Callable[[Any], str]] = {"rmb_upper": rmb_upper, "money": money}
