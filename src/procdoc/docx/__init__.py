"""Word documents from templates: a fast docxtpl-compatible renderer and a template lint.

``CompiledTemplate.compile(path)`` prepares a template once; ``render(context)`` gives the
.docx bytes; :func:`render_batch` writes many documents atomically, in worker processes
for big batches. :func:`lint_template` finds the mistakes docxtpl passes over silently.
:func:`procdoc.docx.pdf.to_pdf` converts documents to PDF through LibreOffice (imported
from its module, so that this package stays light).
"""

from __future__ import annotations

from procdoc.docx.engine import CompiledTemplate, render_batch
from procdoc.docx.lint import TemplateProblem, lint_template, template_variables

__all__ = [
    "CompiledTemplate",
    "TemplateProblem",
    "lint_template",
    "render_batch",
    "template_variables",
]
