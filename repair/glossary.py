"""One spelling per name across the whole article.

Machine translation spells one person several ways, and chunks repaired separately would
each guess their own. Before any chunk is repaired, one pass over the whole article:

1. groups the spellings of name words that may be one name (`find_clusters`,
   deterministic: `names.same_name` on folded, transliterated words);
2. asks the model once, with a JSON schema, for each cluster's canonical spelling and a
   short role; an answer that invents a cluster, skips one or merges two is rejected, and
   the commonest spellings are used instead; a cluster given a different name altogether
   keeps its commonest spelling and the name is kept as `proposed`, for the editor (a
   suggestion, see suggest.py), never used as a spelling;
3. lets the editor's pinned spellings win over both.

The result goes into every chunk's prompt and tells the validator which name changes
are legal.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from repair import prompts
from repair.errors import InputError, ModelCallError, ModelOutputError
from repair.facts.names import find_names, is_demonym_pair, same_name
from repair.facts.words import fold, tokens
from repair.llm.protocol import Ask, ChatRequest, ask_for_json
from repair.results import Glossary, GlossaryEntry


@dataclass(slots=True)
class NameCluster:
    """Spellings of one name word found in the article, with where each occurs."""

    id: str
    spellings: Counter[str] = field(default_factory=Counter)
    spans: list[tuple[int, int]] = field(default_factory=list)
    context: str = ""  # the fullest mention, e.g. "Steve Witco" for the word "Witco"

    @property
    def commonest(self) -> str:
        # Ties go to the longest spelling: a truncated garble ("Witco") is rarely right.
        return max(self.spellings, key=lambda s: (self.spellings[s], len(s), s))


def find_clusters(text: str) -> list[NameCluster]:
    """Clusters of two or more differently spelled name words that may be one name."""
    words: dict[str, Counter[str]] = {}  # folded word -> original spellings
    spans: dict[str, list[tuple[int, int]]] = {}
    fullest: dict[str, str] = {}
    for mention in find_names(text):
        for tok in tokens(mention.text):
            folded = tok.folded
            if folded not in mention.words or len(folded) < 3:
                continue
            words.setdefault(folded, Counter())[tok.text] += 1
            spans.setdefault(folded, []).append(
                (mention.start + tok.start, mention.start + tok.end)
            )
            if len(mention.words) <= 3 and len(mention.text) > len(fullest.get(folded, "")):
                fullest[folded] = mention.text
    groups: list[list[str]] = []
    for word in sorted(words, key=lambda w: (-sum(words[w].values()), w)):
        home = next((g for g in groups if any(_variants(word, other) for other in g)), None)
        if home is None:
            groups.append([word])
        else:
            home.append(word)
    clusters: list[NameCluster] = []
    for group in groups:
        if sum(len(words[w]) for w in group) < 2:
            continue  # one spelling only ("Wrześniewski"/"Wrzesniewski" are two)
        cluster = NameCluster(id=f"E{len(clusters) + 1}")
        for word in group:
            cluster.spellings.update(words[word])
            cluster.spans.extend(spans[word])
        cluster.spans.sort()
        cluster.context = fullest.get(group[0]) or cluster.commonest
        clusters.append(cluster)
    return clusters


def _variants(a: str, b: str) -> bool:
    # "Russia" and "Russian" are one country but two words: both spellings are right.
    return same_name(a, b) and not is_demonym_pair(a, b)


def deterministic(clusters: list[NameCluster]) -> Glossary:
    return Glossary(
        entries=[
            GlossaryEntry(canonical=c.commonest, variants=sorted(c.spellings), source="frequency")
            for c in clusters
        ]
    )


# --- the editor's glossary --------------------------------------------------------------


def load_glossary_file(path: str | Path) -> dict[str, str]:
    """An editor's pinned spellings: JSON or YAML, either shape below.

    {"Witkoff": ["Witcooff", "Vitcoof"]}   canonical -> variants
    {"Witcooff": "Witkoff"}                variant -> canonical
    """
    file = Path(path)
    try:
        raw = file.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{file}: cannot read the glossary: {exc.strerror}") from None
    data: Any
    if file.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(raw)
        except yaml.YAMLError as exc:
            raise InputError(f"{file}: not valid YAML: {exc}") from None
    else:
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise InputError(f"{file}: not valid JSON: {exc}") from None
    return pinned_mapping(data, str(file))


def pinned_mapping(data: Any, where: str = "glossary") -> dict[str, str]:
    if not isinstance(data, dict):
        raise InputError(f"{where}: expected a mapping of names")
    mapping: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, str):
            mapping[str(key)] = value
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            mapping[str(key)] = str(key)
            mapping.update({v: str(key) for v in value})
        else:
            raise InputError(f"{where}: '{key}' must map to a spelling or a list of spellings")
    return mapping


# --- the model's choice -----------------------------------------------------------------


class _Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cluster: str
    canonical: str = Field(min_length=1, max_length=120)
    role: str = Field(default="", max_length=200)


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entities: list[_Choice]


RESPONSE_FORMAT: dict[str, Any] = {
    "type": "json_schema",
    "json_schema": {
        "name": "glossary",
        "strict": True,
        "schema": {
            "type": "object",
            "additionalProperties": False,
            "required": ["entities"],
            "properties": {
                "entities": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["cluster", "canonical", "role"],
                        "properties": {
                            "cluster": {"type": "string"},
                            "canonical": {"type": "string"},
                            "role": {"type": "string"},
                        },
                    },
                }
            },
        },
    },
}


def request_messages(clusters: list[NameCluster]) -> list[dict[str, str]]:
    lines = []
    for c in clusters:
        spellings = " | ".join(f"{s} ({n})" for s, n in c.spellings.most_common())
        lines.append(f"{c.id}: {spellings}")
        lines.append(f"    as in: {c.context}")
    body = "\n".join(lines)
    fence = "@@NAMES-" + hashlib.sha256(body.encode()).hexdigest()[:16].upper() + "@@"
    user = prompts.render(
        prompts.load("glossary-user"),
        fence=fence,
        clusters=body,
        count=str(len(clusters)),
        ids=", ".join(c.id for c in clusters),
    )
    system = prompts.render(prompts.load("glossary-system"))
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def check_answer(content: str | None, clusters: list[NameCluster]) -> Glossary:
    """The model's glossary, or ModelOutputError saying why it cannot be trusted."""
    try:
        answer = _Answer.model_validate_json(_json_object(content or ""))
    except ValidationError as exc:
        raise ModelOutputError(
            f"the glossary answer is not the JSON asked for: {exc.errors()[0]['msg']}",
            reason="bad-json",
        ) from None
    by_id = {c.id: c for c in clusters}
    seen: dict[str, str] = {}
    entries = []
    for choice in answer.entities:
        cluster = by_id.get(choice.cluster)
        if cluster is None:
            raise ModelOutputError(
                f"the glossary names a cluster that does not exist: {choice.cluster}",
                reason="invented-entity",
            )
        if choice.cluster in seen.values():
            raise ModelOutputError(f"cluster {choice.cluster} answered twice", reason="duplicate")
        key = fold(choice.canonical)
        if key in seen:
            raise ModelOutputError(
                f"the glossary maps {seen[key]} and {choice.cluster} to one name "
                f"'{choice.canonical}'",
                reason="merged-entities",
            )
        seen[key] = choice.cluster
        if not any(_same_words(choice.canonical, s) for s in cluster.spellings):
            # Another name altogether is no spelling fix: the cluster keeps its commonest
            # spelling, and the model's name goes to the editor as a suggestion.
            entries.append(
                GlossaryEntry(
                    canonical=cluster.commonest,
                    variants=sorted(cluster.spellings),
                    role=choice.role.strip(),
                    source="frequency",
                    proposed=choice.canonical.strip(),
                )
            )
            continue
        entries.append(
            GlossaryEntry(
                canonical=choice.canonical.strip(),
                variants=sorted(cluster.spellings),
                role=choice.role.strip(),
                source="model",
            )
        )
    missing = sorted(by_id.keys() - set(seen.values()))
    if missing:
        raise ModelOutputError(f"the glossary skipped {', '.join(missing)}", reason="missing")
    return Glossary(entries=entries)


def _same_words(canonical: str, spelling: str) -> bool:
    """The canonical spelling's last word is a spelling of the cluster's word."""
    words = [t.folded for t in tokens(canonical)]
    return bool(words) and same_name(words[-1], fold(spelling))


def _json_object(content: str) -> str:
    # Servers without JSON mode may wrap the object in a code fence or a sentence.
    start, end = content.find("{"), content.rfind("}")
    return content[start : end + 1] if 0 <= start < end else content


async def build_glossary(
    clusters: list[NameCluster],
    ask: Ask,
    model_name: str,
    pinned: Mapping[str, str] | None = None,
) -> tuple[Glossary, list[str]]:
    """The article's glossary, and notes on anything that went wrong on the way.

    `ask` sends one request (the pipeline's, which counts usage). No call is made when
    the article has no variant clusters: the editor's pins alone make the glossary.
    """
    glossary, notes = deterministic(clusters), list[str]()
    if clusters:
        glossary, notes = await _ask(ask, model_name, clusters, glossary)
    return with_pins(glossary, pinned or {}), notes


async def _ask(
    ask: Ask, model_name: str, clusters: list[NameCluster], fallback: Glossary
) -> tuple[Glossary, list[str]]:
    messages = request_messages(clusters)
    request = ChatRequest(messages, model_name, 0.0, 64 + 40 * len(clusters), RESPONSE_FORMAT)
    try:
        reply = await ask_for_json(ask, request)  # the prompt describes the JSON too
        return check_answer(reply.content, clusters), []
    except ModelCallError as exc:
        if exc.unreachable or exc.context.get("status") in (401, 403, 404):
            raise  # the chunks would fail the same way: say so now
        return fallback, [f"glossary: {exc.message}; using the commonest spellings"]
    except ModelOutputError as exc:
        return fallback, [f"glossary: {exc.message}; using the commonest spellings"]


def spellings(clusters: list[NameCluster], pinned: Mapping[str, str]) -> set[str]:
    """Every spelling the glossary can speak about: a chunk without any needs no glossary."""
    found = {s for c in clusters for s in c.spellings}
    return found | set(pinned) | set(pinned.values())


def relevant(glossary: Glossary, text: str) -> Glossary:
    """The entries whose spellings occur in `text`: the rest would only cost tokens."""
    return Glossary(
        entries=[e for e in glossary.entries if any(s in text for s in [e.canonical, *e.variants])]
    )


def with_pins(glossary: Glossary, pinned: Mapping[str, str]) -> Glossary:
    """The editor's spellings win over the model's.

    A cluster takes a pinned spelling when it holds one of the pin's spellings, or when
    the pinned name is a spelling of the cluster's name ("Witkoff" pins "Witcooff").
    """
    if not pinned:
        return glossary
    folded = {fold(k): v for k, v in pinned.items()}
    entries = []
    claimed: set[str] = set()
    for entry in glossary.entries:
        spelled = [entry.canonical, *entry.variants]
        pin = next((folded[fold(v)] for v in spelled if fold(v) in folded), None)
        if pin is None:
            pin = next(
                (c for c in pinned.values() if any(_same_words(c, v) for v in spelled)), None
            )
        if pin is not None:
            entry = entry.model_copy(update={"canonical": pin, "source": "editor"})
            claimed.add(pin)
        entries.append(entry)
    for canonical in dict.fromkeys(pinned.values()):
        if canonical in claimed:
            continue
        variants = sorted({v for v, c in pinned.items() if c == canonical and v != canonical})
        entries.append(GlossaryEntry(canonical=canonical, variants=variants, source="editor"))
        claimed.add(canonical)
    return Glossary(entries=entries)
