"""Spotting instructions in page content, so the user sees them (SECURITY-CATALOG W1–W4, W9).

Text a tool read from a page or a file is data, never instructions: the loop marks it untrusted for the model,
and the policy decides every action whatever the text says. This module adds the other half of W9 ("tasks
found in page content are shown to the user, never run on their own"): :func:`find_instructions` picks out
passages that read like orders to an AI agent, and the loop shows them to the user as a warning notice.
Nothing here allows, denies or changes anything; a miss costs only the notice.

The patterns are deliberately plain: phrases addressed to an assistant or agent, "ignore previous
instructions"-style overrides, and fake system/prompt markers. Zero-width characters are removed and
whitespace collapsed first, so hidden spacing tricks do not split a phrase.
"""

from __future__ import annotations

import re

#: At most this many passages are reported per tool result.
MAX_FOUND = 3
#: Characters shown around a match.
EXCERPT = 160

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u200e\u200f\u2060\u2061\u2062\u2063\ufeff"))
_PATTERNS = re.compile(
    "|".join((
        r"\b(?:assistant|ai agent|ai assistant|the agent|language model|llm|chatbot)\s+instructions?\b",
        r"\bnote to the (?:ai|assistant|agent)\b",
        r"\b(?:dear|attention|hey|hello)[,:]?\s+(?:ai|assistant|agent|llm)\b",
        r"\b(?:ignore|disregard|forget|override)\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|"
        r"your|other)\s+(?:instructions|rules|directions|prompts?|guidelines|task|goal)\b",
        r"\bnew\s+(?:system\s+)?instructions?\s*:",
        r"\byou\s+are\s+now\s+(?:an?\s+|in\s+)",
        r"\b(?:system|developer)\s+(?:prompt|message|override)\s*:",
        r"</?\s*(?:system|instructions?)\s*>",
        r"\bif you are an? (?:ai|assistant|agent|language model|llm)\b",
    )),
    re.IGNORECASE,
)


def find_instructions(text: str) -> list[str]:
    """Passages of ``text`` that read like instructions to an AI agent (at most :data:`MAX_FOUND`), each an
    excerpt around the match with whitespace collapsed. Empty when nothing matches. Never raises."""
    clean = re.sub(r"\s+", " ", text.translate(_ZERO_WIDTH))
    found: list[str] = []
    end_of_last = -1
    for match in _PATTERNS.finditer(clean):
        if match.start() < end_of_last:
            continue  # inside the passage already reported
        start = max(0, match.start() - 20)
        stop = min(len(clean), match.start() + EXCERPT)
        excerpt = clean[start:stop].strip()
        found.append(("…" if start else "") + excerpt + ("…" if stop < len(clean) else ""))
        end_of_last = stop
        if len(found) == MAX_FOUND:
            break
    return found


__all__ = ["find_instructions"]
