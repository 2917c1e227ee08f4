"""Text as people type it: without the control characters that no keyboard makes and that break storage or files."""

import re

# C0 controls except tab, line feed and carriage return. PostgreSQL refuses NUL in text, and Excel's file format
# (openpyxl raises IllegalCharacterError) refuses the others, so one stored title could break every export.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def without_controls(text: str) -> str:
    """`text` without C0 control characters other than tab and line breaks."""
    return CONTROL_CHARACTERS.sub("", text)
