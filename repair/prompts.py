"""Load the prompt templates in `prompts/` and build the messages for one chunk.

Templates are files with a small front matter (name, version) and `{{variable}}` slots.
The system message depends only on the style, so it is byte-identical on every call and
providers can cache it; everything that varies (glossary, context, the article) comes last,
in the user message.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from repair.chunker import Chunk
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
    """A marker the article's author cannot know in advance: a hash of the chunk itself.

    It is also the same on every run, so cached answers keep matching. Six decimal digits
    cost two tokens where eight hex digits cost six; one that occurs in the text is
    passed over for the next.
    """
    digest = hashlib.sha256()
    for unit in chunk.units:
        digest.update(unit.id.encode())
        digest.update(b"\0")
        digest.update(unit.text.encode("utf-8", "surrogatepass"))
    text = "\n".join([chunk.before, chunk.after, *(u.text for u in chunk.units)])
    number = int(digest.hexdigest()[:12], 16)
    while (fence := f"@@{number % 1_000_000:06d}@@") in text:
        number //= 7
    return fence


def tag(unit_id: str, kind: BlockKind) -> str:
    """`P7`, or `P7|caption` for a block that is not a body paragraph: a short tag, as it is
    sent once and answered once for every paragraph (`[[P7]]` cost twice the tokens)."""
    return unit_id if kind is BlockKind.PARAGRAPH else f"{unit_id}|{kind.value}"


def user_message(
    chunk: Chunk,
    *,
    unit_ids: list[str] | None = None,
    glossary: Glossary | None = None,
    findings: list[str] | None = None,
) -> str:
    """The request for `chunk` (or for the units of it named in `unit_ids`, on a re-ask)."""
    units = [u for u in chunk.units if unit_ids is None or u.id in unit_ids]
    entries = glossary_lines(glossary) if glossary else ""
    feedback = (
        render(load("feedback"), findings="\n".join(f"- {f}" for f in findings)).rstrip()
        if findings
        else ""
    )
    return render(
        load("user"),
        glossary=render(load("glossary"), entries=entries) if entries else "",
        fence=fence_for(chunk),
        before=framed(chunk.before) or "(start of article)",
        after=framed(chunk.after) or "(end of article)",
        paragraphs="\n".join(f"{tag(u.id, u.kind)} {_one_line(u.text)}" for u in units),
        ids=id_ranges([u.id for u in units]),
        feedback=feedback,
    )


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


def glossary_lines(glossary: Glossary) -> str:
    lines = []
    for entry in glossary.entries:
        role = f" ({entry.role})" if entry.role else ""
        others = [v for v in entry.variants if v != entry.canonical]
        also = f", not {', '.join(others)}" if others else ""
        lines.append(f"- {entry.canonical}{role}{also}")
    return "\n".join(lines)


def framed(context: str) -> str:
    """Read-only context, each line behind "> ": article text never starts a prompt line,
    so a line of it shaped like a fence marker or a paragraph tag is inert."""
    lines = (" ".join(line.split()) for line in context.splitlines())
    return "\n".join(f"> {line}" for line in lines if line)


def _one_line(text: str) -> str:
    # A tag starts each paragraph at the beginning of a line; a hard-wrapped paragraph's
    # inner line breaks would look like separate paragraphs, so they travel as spaces.
    return " ".join(text.split())
