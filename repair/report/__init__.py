"""The editor's report: what a repair changed, flagged and cost, for a person to review.

`view` decides what any report shows; `html` draws it as one self-contained page,
`markdown` as Markdown.
"""

from repair.report.html import render_html
from repair.report.markdown import render_markdown

__all__ = ["render_html", "render_markdown"]
