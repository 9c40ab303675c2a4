"""A JSON Schema of the process file format, for editors (the YAML language server).

Add to the top of a process file::

    # yaml-language-server: $schema=../.procdoc/process.schema.json
"""

from __future__ import annotations

from typing import Any

from procdoc.process.model import FIELD_TYPES, STEP_KINDS

DURATION_PATTERN = r"^\s*[0-9０-９]+\s*(d|wd|h|日|天|个?工作日|小时)\s*$"


def _duration() -> dict[str, Any]:
    return {
        "type": "string",
        "pattern": DURATION_PATTERN,
        "description": "Nd calendar days, Nwd working days, Nh hours; or N日/N天, N个工作日, N小时",
        "examples": ["15d", "5wd", "24h", "15日", "5个工作日"],
    }


def _deadline() -> dict[str, Any]:
    return {
        "description": "A duration counted from entering the step, or {duration, from: STEP_ID|DATE_FIELD}",
        "oneOf": [
            _duration(),
            {
                "type": "object",
                "additionalProperties": False,
                "required": ["duration"],
                "properties": {
                    "duration": _duration(),
                    "from": {
                        "oneOf": [
                            {"type": "string"},
                            {"type": "array", "items": {"type": "string"}, "minItems": 1},
                        ]
                    },
                },
            },
        ],
    }


def _name_or_object(description: str, required: str, properties: dict[str, Any]) -> dict[str, Any]:
    """A name, or a mapping with ``required`` and ``properties`` (a branch, a document)."""
    return {
        "oneOf": [
            {"type": "string", "description": description},
            {
                "type": "object",
                "additionalProperties": False,
                "required": [required],
                "properties": properties,
            },
        ]
    }


def _texts() -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}}


def process_schema() -> dict[str, Any]:
    ident = {"type": "string", "pattern": r"^[a-z0-9_-]+$"}
    field = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "label": {"type": "string", "description": "the ledger column header"},
            "type": {"enum": list(FIELD_TYPES), "default": "text"},
            "required": {"type": "boolean"},
            "choices": _texts(),
            "description": {"type": "string"},
            "min": {"type": "number", "description": "a number field's least value"},
            "max": {"type": "number", "description": "a number field's greatest value"},
        },
    }
    branch = _name_or_object(
        "a step id",
        "to",
        {
            "to": {"type": "string"},
            "when": {
                "type": "string",
                "description": "e.g. amount > 5000 and category == '差旅费'",
            },
        },
    )
    step = {
        "type": "object",
        "additionalProperties": False,
        "required": ["id"],
        "properties": {
            "id": ident,
            "name": {"type": "string"},
            "role": {"type": "string"},
            "deadline": _deadline(),
            "next": {"type": "array", "items": branch},
            "back": _texts(),
            "kind": {"enum": list(STEP_KINDS), "default": "task"},
            "signers": _texts(),
            "mode": {"enum": ["all", "any"], "default": "all"},
            "documents": {
                "type": "array",
                "items": _name_or_object(
                    "a template name (templates/NAME.docx)",
                    "template",
                    {
                        "template": {"type": "string"},
                        "when": {
                            "enum": ["overdue", "extended"],
                            "description": "due only while the case is late at this step",
                        },
                        "requires": {
                            "type": "array",
                            "items": {"type": "string"},
                            "description": "fields its text needs: rendered without --case"
                            " only once they are filled",
                        },
                    },
                ),
            },
            "number": {
                "type": "string",
                "description": "a sequence under numbering: in procdoc.yaml",
            },
            "extend": _duration(),
            "final": {"type": "boolean"},
            "description": {"type": "string"},
            "inputs": _texts(),
            "outputs": _texts(),
            "risks": _texts(),
        },
    }
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://procdoc.invalid/schema/process.json",
        "title": "procdoc process definition",
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "steps"],
        "properties": {
            "name": {"type": "string"},
            "id": ident,
            "description": {"type": "string"},
            "case_id": {
                "type": "string",
                "description": "e.g. XF{year}-{seq:04d}",
                "default": "CASE-{seq}",
            },
            "roles": _texts(),
            "fields": {"type": "object", "additionalProperties": field},
            "deadline": _deadline(),
            "purpose": {"type": "string", "description": "目的: why the process exists (manual)"},
            "basis": {**_texts(), "description": "法律依据: laws and rules, one an item (manual)"},
            "terms": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "名词解释: term -> explanation (manual)",
            },
            "addressee": {
                **_texts(),
                "description": "field ids whose filled values name to whom a notice goes, e.g. [lead_org, owner]",
            },
            "faq": {
                "type": "array",
                "description": "常见问题 (manual)",
                "items": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["q", "a"],
                    "properties": {"q": {"type": "string"}, "a": {"type": "string"}},
                },
            },
            "steps": {"type": "array", "minItems": 1, "items": step},
        },
    }
