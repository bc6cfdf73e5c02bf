"""One spelling per name: clustering, the model's choice, its rejection, editor pins."""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path

import pytest

from repair import ChatReply, ChatRequest, Usage, arepair_article, repair_article
from repair.errors import InputError, ModelOutputError
from repair.formats.text import segment
from repair.glossary import check_answer, find_clusters, load_glossary_file, with_pins
from repair.results import Glossary, GlossaryEntry
from repair.testing.fake import FakeServer
from tests.conftest import config_for, golden_pair

# A paragraph line of the prompt: its tag, then its text.
TAGGED = re.compile(r"^[PHC]\d+(?:\.\d+)?(?:\|[a-z]+)? ")

# Spellings of one name that machine translation and transliteration produce.
MUST_JOIN = [
    ("Witkoff", "Witcooff"), ("Witkoff", "Witcoof"), ("Witkoff", "Vitcoof"),
    ("Witcooff", "Vitcoof"), ("Izvestia", "Izvestiya"), ("Komsomelets", "Komsomolets"),
    ("Kiev", "Kyiv"), ("Zelensky", "Zelenskyy"), ("Zelensky", "Zelenskiy"), ("Tusk", "Tusc"),
    ("Tusk", "Tuska"), ("Trump", "Tramp"), ("Shutterstock", "Shuttertstock"),
    ("Gorbachev", "Gorbachov"), ("Medvedev", "Medvedyev"), ("Peskov", "Peskoff"),
    ("Lavrov", "Lavroff"), ("Shoigu", "Shoygu"), ("Wrześniewski", "Wrzesniewski"),
    ("Dostoevsky", "Dostoyevsky"), ("Odesa", "Odessa"),
    ("Donetsk", "Donetzk"), ("Nabiullina", "Nabiulina"), ("Lukashenko", "Lukashenka"),
    ("Tymoshenko", "Timoshenko"), ("Saakashvili", "Saakashvilli"), ("Kadyrov", "Kadirov"),
    ("Sobyanin", "Sobianin"), ("Khrushchev", "Khrushchov"), ("Kharkiv", "Kharkov"),
    ("Mikhail", "Mihail"),
]  # fmt: skip
# Different people and places, however alike they look.
MUST_STAY_APART = [
    ("Trump", "Tusk"), ("Khrushcheva", "Khrushchev"), ("Russia", "Ukraine"),
    ("Witkoff", "Whitaker"), ("Austria", "Australia"), ("Putin", "Patton"), ("Moscow", "Macau"),
    ("Lavrov", "Lebedev"), ("Peskov", "Petrov"), ("Ivanov", "Ivanova"), ("Iran", "Iraq"),
    ("India", "Indonesia"), ("Sweden", "Switzerland"), ("Paris", "Parma"), ("Kyiv", "Kirov"),
    ("Merkel", "Merz"), ("Macron", "Maron"), ("Obama", "Osama"), ("Boris", "Doris"),
    ("Russia", "Russian"), ("Poland", "Polish"), ("Biden", "Bolton"), ("Donetsk", "Donbas"),
]  # fmt: skip


def _clustered(a: str, b: str) -> bool:
    text = f"Yesterday the envoy {a} met officials in the capital. They said that {b} would return."
    return any(a in c.spellings and b in c.spellings for c in find_clusters(text))


@pytest.mark.parametrize(("a", "b"), MUST_JOIN)
def test_variants_join(a: str, b: str) -> None:
    assert _clustered(a, b)


@pytest.mark.parametrize(("a", "b"), MUST_STAY_APART)
def test_different_names_stay_apart(a: str, b: str) -> None:
    assert not _clustered(a, b)


def test_pair_tables_are_big_enough() -> None:
    assert len(MUST_JOIN) >= 30 and len(MUST_STAY_APART) >= 20


def test_seed_clusters_carry_their_spans() -> None:
    source, _ = golden_pair()
    clusters = {frozenset(c.spellings): c for c in find_clusters(source)}
    witkoff = next(c for s, c in clusters.items() if "Witcooff" in s)
    assert {"Witcooff", "Witcoof", "Vitcoof"} <= set(witkoff.spellings)
    assert all(source[a:b] in witkoff.spellings for a, b in witkoff.spans)
    assert any({"Izvestia", "Izvestiya"} <= s for s in clusters)


def _clusters_of(case: str) -> list:  # type: ignore[type-arg]
    return find_clusters(golden_pair(case)[0])


def test_a_merging_answer_is_rejected() -> None:
    clusters = _clusters_of("diplomacy-tusk")
    answer = {
        "entities": [{"cluster": c.id, "canonical": "Donald Trump", "role": ""} for c in clusters]
    }
    with pytest.raises(ModelOutputError, match="to one name"):
        check_answer(json.dumps(answer), clusters)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            lambda e: [*e, {"cluster": "E99", "canonical": "Joe Bloggs", "role": ""}],
            "does not exist",
        ),
        (lambda e: e[1:], "skipped"),
    ],
)
def test_invented_or_skipped_entities_are_rejected(change, reason) -> None:  # type: ignore[no-untyped-def]
    source, _ = golden_pair()
    clusters = find_clusters(source)
    good = [{"cluster": c.id, "canonical": c.commonest, "role": ""} for c in clusters]
    check_answer(json.dumps({"entities": good}), clusters)  # the honest answer passes
    with pytest.raises(ModelOutputError, match=reason):
        check_answer(json.dumps({"entities": change(good)}), clusters)


def test_seed_repair_uses_one_spelling_per_name(server: FakeServer) -> None:
    source, _ = golden_pair()
    result = repair_article(source, config_for(server))
    glossary = {e.canonical: e for e in result.glossary.entries}
    assert glossary["Steve Witkoff"].source == "model"
    assert glossary["Steve Witkoff"].role
    assert [c.chunk for c in result.calls].count(-1) == 1  # one glossary call per article
    for paragraph in segment(result.text).paragraphs:
        for wrong in ("Witcooff", "Witcoof", "Vitcoof", "Witco ", "Izvestiya"):
            assert wrong not in paragraph.text


def test_the_glossary_reaches_every_chunk_prompt(server: FakeServer) -> None:
    seen: list[str] = []

    class Spy:
        """Answers a glossary request with nothing and a repair request with its input."""

        async def complete(self, request: ChatRequest) -> ChatReply:
            user = request.messages[-1]["content"]
            seen.append(user)
            if request.response_format:
                return ChatReply('{"entities": []}', "stop", "m", Usage(calls=1))
            lines = [
                re.sub(r"^\[\[(P[\d.]+)\|?[a-z]*\]\]", r"[[\1]]", line)
                for line in user.splitlines()
            ]
            return ChatReply(
                "\n".join(x for x in lines if TAGGED.match(x)), "stop", "m", Usage(calls=1)
            )

        async def aclose(self) -> None:
            return None

    source, _ = golden_pair()
    pins = {"Witkoff": "Steve Witkoff"}
    config = config_for(server, glossary=pins, chunk_chars=1500)
    result = asyncio.run(arepair_article(source, config, client=Spy()))
    chunk_prompts = [s for s in seen if " passage\n" in s]
    assert len(chunk_prompts) == result.chunks
    variants = ("Witcooff", "Witcoof", "Vitcoof", "Witkoff")
    with_name = [p for p in chunk_prompts if any(v in p.split(" passage\n")[1] for v in variants)]
    assert with_name and all("- Steve Witkoff" in p for p in with_name)
    # Chunks that mention no clustered name carry no glossary at all (tokens are money).
    assert any("Name spellings to use" not in p for p in chunk_prompts)
    # An answer that skips every cluster is rejected: the commonest spellings are used.
    assert any("skipped" in n for n in result.notes)


def test_merged_glossary_answer_is_rejected_and_the_run_completes(server: FakeServer) -> None:
    source, reference = golden_pair("diplomacy-tusk")
    server.script("merge-entities")
    result = repair_article(source, config_for(server))
    assert any("to one name" in note for note in result.notes)
    canonicals = [e.canonical for e in result.glossary.entries]
    assert (
        len(canonicals) == len(set(canonicals)) and "Tusk" in canonicals and "Trump" in canonicals
    )
    assert result.text == reference and result.ok


def test_an_editor_pin_overrides_the_model(server: FakeServer, tmp_path: Path) -> None:
    pins = tmp_path / "names.yaml"
    pins.write_text("Witkov:\n  - Witcooff\n  - Vitcoof\n", encoding="utf-8")
    source, _ = golden_pair()
    result = repair_article(source, config_for(server, glossary=load_glossary_file(pins)))
    entry = next(e for e in result.glossary.entries if "Witcooff" in e.variants)
    assert entry.canonical == "Witkov" and entry.source == "editor"


def test_no_clusters_and_no_pins_means_no_glossary_call(server: FakeServer) -> None:
    result = repair_article("The minister spoke on Monday. Nobody else did.\n", config_for(server))
    assert [c.chunk for c in result.calls] == [0]


def test_pins_alone_make_a_glossary() -> None:
    glossary = with_pins(Glossary(), {"Witcooff": "Witkoff", "Vitcoof": "Witkoff"})
    assert glossary.entries == [
        GlossaryEntry(canonical="Witkoff", variants=["Vitcoof", "Witcooff"], source="editor")
    ]
    assert glossary.mapping() == {"Vitcoof": "Witkoff", "Witcooff": "Witkoff"}


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not valid JSON"), ('["a"]', "mapping"), ('{"a": 3}', "spelling")],
)
def test_bad_glossary_files_are_clear_errors(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "g.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_glossary_file(path)


def test_a_name_that_is_none_of_the_spellings_is_proposed_not_used() -> None:
    """Item 2 of issue 17: another name is no spelling fix; it goes to the editor."""
    source, _ = golden_pair()
    clusters = find_clusters(source)
    answer = [{"cluster": c.id, "canonical": c.commonest, "role": ""} for c in clusters]
    answer[0] = {**answer[0], "canonical": "Whitaker", "role": "US envoy"}
    glossary = check_answer(json.dumps({"entities": answer}), clusters)
    first = glossary.entries[0]
    assert first.canonical == clusters[0].commonest and first.source == "frequency"
    assert first.proposed == "Whitaker"
    assert "Whitaker" not in glossary.mapping().values()
    assert all(e.proposed is None for e in glossary.entries[1:])
