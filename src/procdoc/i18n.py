"""Messages in the user's language: English, or Chinese (简体中文) from the gettext
catalogue ``procdoc/locale/zh_CN/LC_MESSAGES/procdoc.mo``.

Every user-facing message goes through :func:`_` (or :func:`ngettext` where English has a
plural). A message with values keeps a constant msgid and fills them in afterwards:
``_("{case}: moved to {step}").format(case=..., step=...)``.

The language is chosen once, at start-up (:func:`setup`, called by the CLI before its
help texts are made), in this order: ``$PROCDOC_LANG`` (``zh`` or ``en``; for tests and
scripts), ``language:`` in the procdoc.yaml of the workspace the command will use, the
environment (``LC_ALL``, ``LC_MESSAGES``, ``LANG``, ``LANGUAGE``), the user interface
language on Windows; English otherwise. Python callers that never call :func:`setup` get
the environment's language on the first message.

Only the standard library's :mod:`gettext` is used at run time; Babel extracts and
compiles the catalogue (``make messages``).
"""

from __future__ import annotations

import gettext as _gettext
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

__all__ = [
    "_",
    "aside",
    "kind_word",
    "language",
    "name_list",
    "ngettext",
    "pgettext",
    "set_language",
    "setup",
]

DOMAIN = "procdoc"
LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("zh", "en")

#: Windows LANGIDs whose primary language is Chinese (zh-CN 0x0804, zh-TW 0x0404,
#: zh-HK 0x0C04, zh-SG 0x1004, zh-MO 0x1404): the low ten bits are LANG_CHINESE.
_LANG_CHINESE = 0x04

_translations: _gettext.NullTranslations | None = None
_language: str | None = None


def language() -> str:
    """The language of messages: ``"zh"`` or ``"en"``."""
    if _language is None:
        set_language(detect())
    assert _language is not None
    return _language


def set_language(lang: str) -> None:
    """Use ``lang`` (``zh`` or ``en``) for every message from now on."""
    global _translations, _language
    lang = "zh" if lang == "zh" else "en"
    if lang == "zh":
        try:
            with (LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{DOMAIN}.mo").open("rb") as fp:
                _translations = _gettext.GNUTranslations(fp)
        except OSError:  # an installation without the catalogue: English rather than a crash
            _translations = _gettext.NullTranslations()
    else:
        _translations = _gettext.NullTranslations()
    _language = lang


def _(message: str) -> str:
    """``message`` in the user's language."""
    if _translations is None:
        language()
    assert _translations is not None
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """``singular`` or ``plural`` for ``n``, in the user's language."""
    if _translations is None:
        language()
    assert _translations is not None
    return _translations.ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in the user's language, told apart by ``context`` from the same words
    meaning something else (``cancelled`` the state, 已撤销, and the act, 撤销)."""
    if _translations is None:
        language()
    assert _translations is not None
    return _translations.pgettext(context, message)


def aside(text: object, inner: object) -> str:
    """``text (inner)``; ``text（inner）`` in Chinese: an id beside its name, a cell beside
    its column, in a message."""
    return _("{text} ({inner})").format(text=text, inner=inner)


def kind_word(kind: str) -> str:
    """A kind of value as a message says it: a field type (``date``; 日期 to a Chinese
    user), or ``list`` / ``mapping``; any other word as it is."""
    words = {
        "text": _("text"),
        "number": _("number"),
        "date": _("date"),
        "datetime": _("date and time"),
        "choice": _("choice"),
        "bool": _("yes/no"),
        "list": _("list"),
        "mapping": _("mapping"),
    }
    return words.get(kind, kind)


def name_list(items: Iterable[str]) -> str:
    """``items`` as a list in a sentence: ``a, b, c`` in English, ``a、b、c`` in Chinese."""
    # TRANSLATORS: what separates the items of a list of names in a sentence
    return _(", ").join(items)


# -- choosing the language ---------------------------------------------------------------


def from_locale(name: str | None) -> str | None:
    """``zh`` or ``en`` from a locale name (``zh_CN.UTF-8``, ``en_US``, ``C``), None for
    an empty one."""
    if not name:
        return None
    first = name.split(":")[0].strip().lower()  # LANGUAGE may list several: zh_CN:en
    if not first:
        return None
    return "zh" if first.startswith(("zh", "chinese")) else "en"


def from_environment(environ: Mapping[str, str] | None = None) -> str | None:
    """The language the POSIX locale variables name, in the order gettext reads them."""
    env = os.environ if environ is None else environ
    for var in ("LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"):
        lang = from_locale(env.get(var))
        if lang:
            return lang
    return None


def from_windows() -> str | None:
    """``zh`` when the Windows user interface language is Chinese; None elsewhere."""
    if sys.platform != "win32":
        return None
    try:
        import ctypes

        langid = int(ctypes.windll.kernel32.GetUserDefaultUILanguage())  # type: ignore[attr-defined,unused-ignore]
    except (AttributeError, OSError):
        return None
    return from_langid(langid)


def from_langid(langid: int) -> str:
    """``zh`` for a Windows LANGID of a Chinese language (0x0804, 0x0404, ...), else ``en``."""
    return "zh" if langid & 0x3FF == _LANG_CHINESE else "en"


_LANGUAGE_KEY = re.compile(
    r"""^language[ \t]*:[ \t]*["']?([A-Za-z_-]+)["']?[ \t]*(?:#.*)?$""", re.M
)


def from_workspace(argv: Sequence[str] | None = None) -> str | None:
    """``language:`` of the procdoc.yaml the command will use (``-w DIR``,
    ``$PROCDOC_WORKSPACE``, else found walking up), read without a YAML parser: this runs
    before ``--help`` and must stay cheap. A file that cannot be read says nothing here;
    the command reports it later."""
    args = list(sys.argv[1:] if argv is None else argv)
    explicit: str | None = None
    for i, arg in enumerate(args):
        if arg in ("-w", "--workspace") and i + 1 < len(args):
            explicit = args[i + 1]
        elif arg.startswith("--workspace="):
            explicit = arg.split("=", 1)[1]
        elif arg.startswith("-w") and len(arg) > 2:
            explicit = arg[2:]
    if explicit is None:
        explicit = os.environ.get("PROCDOC_WORKSPACE") or None
    try:
        if explicit is not None:
            path = Path(explicit).expanduser()
            candidates = [path if path.name == "procdoc.yaml" else path / "procdoc.yaml"]
        else:
            here = Path.cwd()
            candidates = [folder / "procdoc.yaml" for folder in (here, *here.parents)]
        for candidate in candidates:
            if candidate.is_file():
                match = _LANGUAGE_KEY.search(candidate.read_text(encoding="utf-8-sig"))
                value = match.group(1).lower() if match else None
                return value if value in LANGUAGES else None
    except (OSError, UnicodeDecodeError):
        return None
    return None


def detect(argv: Sequence[str] | None = None, *, workspace: bool = False) -> str:
    """The language to use: ``$PROCDOC_LANG``, the workspace's ``language:`` (when
    ``workspace``), the locale environment, the Windows UI language; else English."""
    forced = from_locale(os.environ.get("PROCDOC_LANG"))
    if forced:
        return forced
    if workspace:
        lang = from_workspace(argv)
        if lang:
            return lang
    return from_environment() or from_windows() or "en"


def setup(argv: Sequence[str] | None = None) -> str:
    """Choose the language once for a command line (see the module docstring)."""
    lang = detect(argv, workspace=True)
    set_language(lang)
    return lang
