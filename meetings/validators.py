"""Field validators shared by models, forms and API serializers."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# C0 controls (CR, LF, TAB, NUL…), DEL and C1 controls, plus the Unicode line/paragraph
# separators: none belongs in a one-line title or name, and CR/LF there make every
# e-mail header (and so every invitation) fail for good (security review D6).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def validate_single_line(value: str) -> None:
    """Refuses control characters (line breaks included) in a one-line text."""
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValidationError(
            _("Không được chứa ký tự xuống dòng hoặc ký tự điều khiển."), code="control_characters"
        )
