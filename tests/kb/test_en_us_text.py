"""Issue 14.15: a US practice read "dyspnoea", "oedema", "paracetamol" and "Licence" in templates and printouts.
Clinical text shown or printed is US English (the practice is in the US); citations keep their own spelling.
The printed prescription's "License" line: tests/printing/test_render.py."""

from __future__ import annotations

import json
import re

from desktop.config import RESOURCES

BRITISH = re.compile(
    r"\b(dyspnoea|oedema|paracetamol|licence|behaviour|diarrhoea|ischaemi\w*|anaemi\w*|haemorrhag\w*|oesophag\w*|"
    r"counselling|paediatric|rhinorrhoea|haematuria|tumour|foetal|haemoglobin|\w*glycaemi\w*|\w*kalaemi\w*|"
    r"\w*natraemi\w*|\w*calcaemi\w*|\w*magnesaemi\w*|oestrogen|anaesthe\w*|favour|centre)\b", re.IGNORECASE)
CITATION_FIELDS = {"source", "sources", "url", "reference"}


def _texts(value, key: str = ""):
    if isinstance(value, dict):
        for k, v in value.items():
            if k not in CITATION_FIELDS:
                yield from _texts(v, k)
    elif isinstance(value, list):
        for v in value:
            yield from _texts(v, key)
    elif isinstance(value, str):
        yield key, value


def test_templates_and_knowledge_texts_are_us_english():
    found = []
    for path in sorted([*RESOURCES.glob("kb/*.json"), *RESOURCES.glob("templates/*.json")]):
        for key, text in _texts(json.loads(path.read_text("utf-8"))):
            found += [f"{path.name} {key}: {m.group(0)}" for m in BRITISH.finditer(text)]
    assert not found, found[:20]



def test_text_written_in_the_code_is_us_english_too():
    """Demo notes ("No chest pain, dyspnoea", "paracetamol as needed") and messages are read by a US physician."""
    import ast

    found = []
    for path in sorted((RESOURCES.parent / "desktop").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found += [f"{path.name}:{node.lineno}: {m.group(0)}" for m in BRITISH.finditer(node.value)]
    assert not found, found
