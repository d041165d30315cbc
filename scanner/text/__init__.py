"""PHI text classifier: which recognised text identifies a patient, and as which HIPAA Safe Harbor category.

Input is what OCR read (`TextLine`s: text, box, confidence) and the context of the region it sits in (monitor,
whiteboard, wristband …). Output is one `PhiMatch` per identifier: category (a key of findings.SAFE_HARBOR),
the box of the line holding it, a confidence (rule certainty x OCR confidence), a severity and a short reason.

Modules, in the order data flows through them: hits (result types, categories, contexts), lexicon (census names,
word lists), patterns (identifier shapes), labels (labelled values), names (unlabelled names), tables (geometry
between lines: label/value links, tracker tables), classify (the entry points; how it decides is described there).
`ocr/` holds the OCR engines; importing this package does not load them.

Public: classify_lines, classify_text, classify_spans, table_matches, is_plain_wording, PhiMatch, CATEGORIES,
CONTEXTS, SCREEN_CONTEXTS, warm, lexicon_status, word_info, lexicon.
"""
from __future__ import annotations

from .classify import classify_lines, classify_spans, classify_text, table_matches
from .hits import CATEGORIES, CONTEXTS, SCREEN_CONTEXTS, PhiMatch
from .lexicon import is_plain_wording, lexicon, lexicon_status, warm, word_info  # `lexicon` here is the function

__all__ = ["classify_lines", "classify_text", "classify_spans", "table_matches", "is_plain_wording", "PhiMatch",
           "CATEGORIES", "CONTEXTS", "SCREEN_CONTEXTS", "warm", "lexicon_status", "word_info", "lexicon"]
