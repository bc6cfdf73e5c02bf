"""Is the markup of a repaired HTML or Markdown article the markup of its source?

Each document is parsed as its readers would parse it (HTML by lexbor, an HTML5 parser
that mends broken markup as browsers do; Markdown by markdown-it) and reduced to its
skeleton: every element with its attributes, in order, and every piece of content the
model never sees (scripts, code, comments, front matter). Words are left out: they are
what the repair may change. Two skeletons that differ are `structure` issues.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from selectolax.lexbor import LexborHTMLParser, LexborNode

from repair.formats.markdown import skeleton

Bone = tuple[str, ...]

markdown_skeleton = skeleton  # made where the Markdown reader is, compared here

# Elements whose text is kept byte for byte (html_doc never sends it to the model).
_VERBATIM = frozenset(
    "code kbd noscript pre samp script style sub sup svg textarea title xmp math".split()
)


def html_skeleton(text: str) -> list[Bone]:
    bones: list[Bone] = []
    root = LexborHTMLParser(text).root
    # Depth first with a stack of our own (a hostile page nests thousands of elements):
    # a node to visit with whether its text is kept, or the end tag to write after one.
    stack: list[tuple[LexborNode, bool] | str] = [(root, False)] if root is not None else []
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            bones.append((">", item))
            continue
        node, verbatim = item
        tag = node.tag or ""
        if tag == "-text":
            if verbatim:
                bones.append(("text", node.text_content or ""))
        elif tag == "-comment":
            bones.append(("comment", node.comment_content or ""))
        elif not tag.startswith(("-", "_")):
            if node is not root:
                attrs = " ".join(f'{k}="{v}"' for k, v in node.attributes.items())
                bones.append(("<", f"<{tag} {attrs}>" if attrs else f"<{tag}>"))
                stack.append(f"</{tag}>")
            inner = verbatim or tag in _VERBATIM
            stack.extend((child, inner) for child in reversed(list(node.iter(include_text=True))))
    return bones


def structure_problems(source: list[Bone], repaired: list[Bone], limit: int = 5) -> list[str]:
    """Sentences an editor understands for the first differences of two skeletons."""
    if source == repaired:
        return []
    problems: list[str] = []
    matcher = SequenceMatcher(None, source, repaired, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            continue
        was = " ".join(_show(b) for b in source[i1:i2][:3])
        now = " ".join(_show(b) for b in repaired[j1:j2][:3])
        if op == "replace":
            problems.append(f"the markup changed: {was} became {now}")
        elif op == "delete":
            problems.append(f"the markup lost {was}")
        else:
            problems.append(f"the markup gained {now}")
        if len(problems) == limit:
            break
    return problems


def _show(bone: Bone) -> str:
    text = bone[-1] if bone[0] not in ("text", "comment") else f"{bone[0]} {bone[1]!r}"
    return text if len(text) <= 80 else text[:77] + "..."
