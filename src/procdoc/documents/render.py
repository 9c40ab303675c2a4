"""Where rendered documents go (SPEC §7): safe output names from `render_name`, never
outside the output folder. Which cases are rendered, and the record in 流转记录, is
:mod:`procdoc.commands.documents`; the rendering itself is :mod:`procdoc.docx`."""

from __future__ import annotations

import re
from pathlib import Path

from procdoc.errors import RenderError
from procdoc.i18n import _
from procdoc.model import Case

_BAD_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]')


def safe_name(text: str) -> str:
    """A file name Windows and Linux both accept."""
    name = _BAD_NAME.sub("_", text).strip().strip(".")
    name = re.sub(r"\s+", " ", name)
    return name[:150] or "_"


#: The longest file name written, in UTF-8 bytes: Linux takes 255 bytes, Windows 255
#: UTF-16 units; a Chinese character is 3 bytes, so about 66 of them and the suffix.
NAME_BYTES = 200


def fit_name(name: str) -> str:
    """``name`` cut to :data:`NAME_BYTES` (a long title in `render_name`: "File name too
    long"), its suffix kept, "…" where it was cut."""
    if len(name.encode("utf-8")) <= NAME_BYTES:
        return name
    stem, dot, suffix = name.rpartition(".")
    stem, suffix = (stem, dot + suffix) if dot else (name, "")
    room = NAME_BYTES - len(suffix.encode("utf-8")) - len("…".encode())
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return f"{cut}…{suffix}"


def output_path(out_dir: Path, pattern: str, case: Case, template: str) -> Path:
    values = {k: safe_name(str(v)) for k, v in {**case.fields, "id": case.id, "template": template, "title": case.title,
              "process": case.process.name, "step": case.step_name or "", "ref": case.ref or ""}.items()}  # fmt: skip

    class Missing(dict[str, str]):
        def __missing__(self, key: str) -> str:
            raise RenderError(
                _(
                    "render_name '{pattern}' uses '{{{key}}}', which is not a field or id/template/title/process/step/ref"
                ).format(pattern=pattern, key=key)
            )

    name = pattern.format_map(Missing(values))
    parts = [safe_name(p) for p in re.split(r"[\\/]+", name) if p not in ("", ".", "..")]
    path = out_dir.joinpath(*parts) if parts else out_dir / f"{safe_name(case.id)}-{template}.docx"
    if path.suffix.lower() != ".docx":
        path = path.with_name(path.name + ".docx")
    path = path.with_name(fit_name(path.name))
    resolved = path.resolve()
    if not resolved.is_relative_to(out_dir.resolve()):
        raise RenderError(
            _("render_name '{pattern}' would write outside {out_dir}").format(
                pattern=pattern, out_dir=out_dir
            )
        )
    return path
