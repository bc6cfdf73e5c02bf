"""Load the prompt templates in `prompts/` and build the messages for one chunk.

Templates are files with a small front matter (name, version) and `{{variable}}` slots.
The system message depends only on the style, so it is byte-identical on every call and
providers can cache it; everything that varies (glossary, context, the article) comes last,
in the user message.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Literal

from repair.chunker import Chunk, Unit
from repair.errors import ConfigurationError
from repair.formats.text import BlockKind
from repair.resources import data_dir
from repair.results import Glossary

Style = Literal["minimal", "fluent"]

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_SLOT = re.compile(r"\{\{\s*([a-z_]+)\s*\}\}")


@dataclass(frozen=True, slots=True)
class Template:
    name: str
    version: str
    body: str

    @property
    def slots(self) -> frozenset[str]:
        return frozenset(_SLOT.findall(self.body))


@cache
def load(file_stem: str) -> Template:
    path = data_dir("prompts") / f"{file_stem}.md"
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigurationError(f"prompt template '{file_stem}' not found at {path}") from None
    match = _FRONT_MATTER.match(raw)
    meta: dict[str, str] = {}
    if match:
        for line in match.group(1).splitlines():
            key, _, value = line.partition(":")
            meta[key.strip()] = value.strip()
        raw = raw[match.end() :]
    return Template(meta.get("name", file_stem), meta.get("version", "0"), raw)


def render(template: Template, **values: str) -> str:
    """Fill every slot in one pass; a value is never itself searched for slots."""
    missing = sorted(template.slots - values.keys())
    if missing:
        raise ConfigurationError(
            f"template '{template.name}' needs values for: {', '.join(missing)}",
            template=template.name,
            missing=missing,
        )
    unknown = sorted(values.keys() - template.slots)
    if unknown:
        raise ConfigurationError(
            f"template '{template.name}' has no slot for: {', '.join(unknown)}",
            template=template.name,
            unknown=unknown,
        )
    return _SLOT.sub(lambda m: values[m.group(1)], template.body)


def template_version(style: Style) -> str:
    """Names and versions of every template a repair request is built from."""
    parts = [load("system"), load(f"style-{style}"), load("user"), load("feedback")]
    parts.append(load("suggest"))
    return "+".join(f"{t.name}@{t.version}" for t in parts)


@cache
def system_message(style: Style) -> str:
    repair = render(load("system"), style_rules=load(f"style-{style}").body.strip())
    # Appended, not woven in: the suggestions block is the one thing the answer may carry
    # after the paragraphs (see repair/suggest.py), and stays in the cached prefix.
    return f"{repair.rstrip()}\n\n{render(load('suggest')).strip()}\n"


def fence_for(chunk: Chunk) -> str:
    """A marker line's token, derived from the chunk itself and absent from its text.

    It is the same on every run, so cached answers keep matching. Absence is what makes
    the framing safe: the article cannot hold a marker line of ours, whatever it quotes.
    Three digits are one token (six were two); a candidate that occurs in the text is
    passed over for the next, and after many misses the marker grows longer, so a text
    quoting every three-digit marker still gets one.
    """
    digest = hashlib.sha256()
    for unit in chunk.units:
        digest.update(unit.id.encode())
        digest.update(b"\0")
        digest.update(unit.text.encode("utf-8", "surrogatepass"))
    text = "\n".join([chunk.before, chunk.after, *(u.text for u in chunk.units)])
    return unused_marker(digest, text, widths=(3, 6, 12))


def unused_marker(digest: hashlib._Hash, text: str, widths: Sequence[int]) -> str:
    """`@@NNN@@` drawn from `digest` and absent from `text`: 64 candidates of each width in
    turn, then ever more of the last, which a finite text cannot all hold."""
    for attempt in itertools.count():
        width = widths[min(attempt // 64, len(widths) - 1)]
        salted = digest.copy()
        salted.update(attempt.to_bytes(8, "big"))
        number = int.from_bytes(salted.digest()[:8], "big") % 10**width
        fence = f"@@{number:0{width}d}@@"
        if fence not in text:
            return fence
    raise AssertionError("unreachable")  # itertools.count() never ends


# The tag's letter says what kind of block it is: a letter costs no more than "P", where
# "P7|caption" cost two tokens more (see the system prompt's "Paragraph types").
_KIND_LETTER = {BlockKind.HEADING: "H", BlockKind.CAPTION: "C"}


def tag(unit_id: str, kind: BlockKind) -> str:
    """`P7` for a body paragraph, `H7` for a heading, `C7` for a caption or credit: the id's
    number with the kind's letter. Sent once and answered once for every paragraph."""
    return _KIND_LETTER.get(kind, "P") + unit_id[1:]


def user_message(
    chunk: Chunk,
    *,
    unit_ids: list[str] | None = None,
    glossary: Glossary | None = None,
    findings: list[str] | None = None,
) -> str:
    """The request for `chunk` (or for the units of it named in `unit_ids`, on a re-ask)."""
    units = [u for u in chunk.units if unit_ids is None or u.id in unit_ids]
    fence = fence_for(chunk)
    passage = "\n".join(u.text for u in units)
    entries = glossary_lines(glossary, passage) if glossary else ""
    feedback = (
        render(load("feedback"), findings="\n".join(f"- {f}" for f in findings)).rstrip()
        if findings
        else ""
    )
    return render(
        load("user"),
        glossary=render(load("glossary"), entries=entries) if entries else "",
        fence=fence,
        before=_context(fence, "context before", chunk.before),
        after=_context(fence, "context after", chunk.after),
        paragraphs="\n".join(f"{tag(u.id, u.kind)} {_one_line(u.text)}" for u in units),
        which=_which(units),
        feedback=feedback,
    )


def _which(units: list[Unit]) -> str:
    """The paragraphs the task names, by count: their tags are right above it."""
    return "the tagged paragraph" if len(units) == 1 else f"the {len(units)} tagged paragraphs"


def messages(
    chunk: Chunk,
    style: Style,
    *,
    unit_ids: list[str] | None = None,
    glossary: Glossary | None = None,
    findings: list[str] | None = None,
) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": system_message(style)},
        {
            "role": "user",
            "content": user_message(chunk, unit_ids=unit_ids, glossary=glossary, findings=findings),
        },
    ]


def id_ranges(ids: list[str]) -> str:
    """ "P3-P6, P9" for P3, P4, P5, P6, P9: the restated task stays short on long chunks."""
    parts: list[list[str]] = []
    for uid in ids:
        previous = parts[-1][-1] if parts else None
        if previous and "." not in uid + previous and int(uid[1:]) == int(previous[1:]) + 1:
            parts[-1].append(uid)
        else:
            parts.append([uid])
    return ", ".join(p[0] if len(p) == 1 else f"{p[0]}-{p[-1]}" for p in parts)


def glossary_lines(glossary: Glossary, passage: str | None = None) -> str:
    """One line per name: its spelling and the garbled forms to replace.

    With `passage`, only what that passage needs: the garbled forms that occur in it, and
    no line for a name it has none of (there is nothing to decide there), except an
    editor's pin it mentions, which also says what must not be "corrected". The role the
    glossary call gave a name stays in the report: in the repair request it cost tokens
    on every call and invited the model to add it to the text, a fact the passage lacks.
    """
    lines = []
    for entry in glossary.entries:
        others = [v for v in entry.variants if v != entry.canonical]
        if passage is not None:
            others = [v for v in others if _occurs(v, passage)]
            pinned = entry.source == "editor" and _occurs(entry.canonical, passage)
            if not others and not pinned:
                continue
        also = f", not {', '.join(others)}" if others else ""
        lines.append(f"- {entry.canonical}{also}")
    return "\n".join(lines)


def _occurs(spelling: str, text: str) -> bool:
    # As a whole word: "Witcoof" is not in a passage that only has "Witcooff".
    return re.search(rf"(?<!\w){re.escape(spelling)}(?!\w)", text) is not None


def _context(fence: str, label: str, context: str) -> str:
    """A fenced section of read-only context, or nothing at all at the article's edges
    (an empty section and its marker line would cost tokens and say nothing)."""
    lines = framed(context)
    return f"{fence} {label}\n{lines}\n" if lines else ""


def framed(context: str) -> str:
    """Read-only context, each line behind "> ": article text never starts a prompt line,
    so a line of it shaped like a fence marker or a paragraph tag is inert."""
    lines = (" ".join(line.split()) for line in context.splitlines())
    return "\n".join(f"> {line}" for line in lines if line)


def _one_line(text: str) -> str:
    # A tag starts each paragraph at the beginning of a line; a hard-wrapped paragraph's
    # inner line breaks would look like separate paragraphs, so they travel as spaces.
    return " ".join(text.split())
