"""Did the repair change a fact? The validator: pure functions over two strings.

`validate` compares two plain-text articles, `validate_paragraph` one paragraph and its
repair, `check` an article in any format (facts of the words, and the markup). The
checks, one module each: `mentions` (numbers, dates, names), `quotes`, `coverage`
(negations, dropped and added sentences) and `markup`; `paragraphs` and `align` pair the
two sides up first, `findings` is what a check returns.
"""

from repair.validation.compare import avalidate, validate, validate_paragraph
from repair.validation.document import check
from repair.validation.meaning import Verifier

__all__ = ["Verifier", "avalidate", "check", "validate", "validate_paragraph"]
