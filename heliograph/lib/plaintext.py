"""Clean stored text for formats that cannot carry every character: XML, iCalendar, SVG.

The domain rejects control characters and bidirectional controls in new text, but rows
written before that check, or by importers, may still contain them. XML 1.0 forbids most
control characters, so one in a feed makes the whole document invalid. RFC 5545 forbids them
in TEXT values. An embedding or override control (U+202A to U+202E, U+2066 to U+2069) makes
the text after it read backwards.
"""

from __future__ import annotations

import unicodedata

_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Not characters at all, and not allowed in XML 1.0 either.
_NONCHARACTERS = frozenset("\ufffe\uffff")


def _dropped(char: str) -> bool:
    if char in _BIDI_CONTROLS or char in _NONCHARACTERS:
        return True
    # Cc is the C0 and C1 controls and DEL. Cs is lone surrogates, which no encoder accepts.
    return unicodedata.category(char) in {"Cc", "Cs"}


def clean(text: str, *, multiline: bool = True) -> str:
    """Return `text` without control, bidirectional-control and non-characters.

    Multi-line text keeps its line breaks (as LF) and tabs. Single-line text gets a space in
    place of each line break or tab, so words on either side stay apart.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    output = []
    for char in text:
        if char in "\n\t":
            output.append(char if multiline else " ")
        elif not _dropped(char):
            output.append(char)
    return "".join(output)
