"""Names of people, places and organisations: finding them in a text, and asking whether
a name of one text is written, in any of its spellings or forms, in another.

`find_names` takes capitalised runs of words for names, with evidence for a word that
opens a sentence (`lexicon`); `NamePool` and `name_present` look a name up on the other
side of a comparison, through its other spellings (`spellings.same_name`) and its other
forms (`forms`: "US"/"United States", "LAN"/"local area network")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from itertools import pairwise
from typing import Literal, NamedTuple

from repair.facts.forms import (
    SKIPPED,
    abbreviation,
    compact,
    equivalents,
    is_place,
    spelled_out,
)
from repair.facts.lexicon import english_zipf, ordinary_word
from repair.facts.spellings import (
    gendered,
    is_demonym_pair,
    name_key,
    same_name,
    sounds,
    transliterate,
)
from repair.facts.words import Token, fold, stem, tokens

__all__ = [
    "GENERIC",
    "MONTHS",
    "STOPWORDS",
    "TITLES",
    "WEEKDAYS",
    "NameMention",
    "NamePool",
    "find_names",
    "glossary_pairs",
    "is_demonym_pair",
    "name_key",
    "name_present",
    "same_name",
    "transliterate",
]

# Words that are capitalised without being names, or that are part of a name without
# identifying it ("President", "University"): a name's identity is in its other words.
TITLES = frozenset(
    "mr mrs ms miss dr prof professor sir dame lord lady president presidents prime minister "
    "ministers deputy secretary general governor judge referee coach manager mayor senator "
    "chancellor king queen prince princess pope st saint chief executive director chairman "
    "chairwoman chair associate assistant vice head leader officer ambassador envoy "
    "commissioner prosecutor captain lieutenant colonel major sergeant mister madam "
    "councillor rev reverend father sister brother uncle aunt".split()
)
GENERIC = frozenset(
    "university college school academy institute institution centre center council "
    "committee commission ministry department office agency authority service services "
    "bank party union association federation foundation trust fund group company "
    "corporation court parliament assembly house hall square street road avenue park "
    "bay river lake mountain sea ocean port station airport hospital church cathedral "
    "club league cup brigade army navy force forces police press media news journal "
    "newspaper times post sciences science studies affairs research republic kingdom "
    "state states region province county district city town village east west north "
    "south central national international federal royal new act law bill treaty code "
    "convention charter"
    .split()
)  # fmt: skip
# Function words and common sentence openers: capitalised only because of where they are.
STOPWORDS = frozenset(
    "a an the and or but nor so yet for of in on at by to from with without into onto "
    "over under about above below after before since until while when where why how what "
    "who whom whose which that this these those there here then than as if unless though "
    "although because it its it’s he she they we i you me him her them us our your their "
    "his my mine is are was were be been being am do does did done have has had will would "
    "can could should shall may might must not no yes all any some many much more most few "
    "less least each every both either neither other another such only also just even "
    "still already again ever never always often sometimes perhaps maybe meanwhile however "
    "moreover instead indeed thus hence therefore besides despite during among between "
    "through throughout across against along around behind beyond inside outside within "
    "upon via per like unlike near far last next first second third one two three four "
    "five six seven eight nine ten today yesterday tomorrow tonight now later earlier "
    "soon once twice whether whatever whoever nobody nothing none everyone everybody "
    "everything someone something anyone anything let lets according asked said says told "
    "photo picture image images listen read source advertisement note"
    .split()
)  # fmt: skip
MONTHS = (
    "january february march april may june july august september october november december"
).split()
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
_DATE_WORDS = frozenset(MONTHS + WEEKDAYS + [d + "s" for d in WEEKDAYS])

# --- finding names ------------------------------------------------------------------------


class NameMention(NamedTuple):
    start: int
    end: int
    text: str
    words: tuple[str, ...]  # folded identifying words, in order; the last is the head
    credit: int | None = None  # photo credits joined by "/" share a number
    # A word opening a sentence, taken for a name only because it is no ordinary English
    # word: another form of the same word on the other side ("Prices"/"price") keeps it.
    guessed: bool = False

    @property
    def head(self) -> str:
        return self.words[-1]


_CONNECTORS = frozenset("of de la du von van der den al bin le del da".split())
_INITIAL_AFTER = frozenset('.!?:;“"‘«(–—-')
_ABBREVIATION_BEFORE_DOT = frozenset("mr mrs ms dr st prof jr sr gen rev".split())


def _capitalised(tok: Token) -> bool:
    return tok.text[:1].isupper() and len(tok.folded) > 1


def _initial(text: str, tok: Token, prev: Token | None) -> bool:
    """Whether the token opens a sentence, a quote, a caption or a clause after a colon."""
    k = tok.start - 1
    while k >= 0 and text[k].isspace():
        k -= 1
    if k < 0:
        return True
    last = text[k]
    if last == "." and prev is not None and prev.folded in _ABBREVIATION_BEFORE_DOT:
        return False
    if last == "/" or (last == "-" and k > 0 and not text[k - 1].isspace()):
        return False  # "Reuters/Lena", "EPA-EFE": a dash opens a clause only when spaced
    if (
        prev is not None
        and "/" in text[max(0, prev.start - 80) : prev.start]
        and text[prev.end : tok.start].strip() == ""
        and _after_credit(text, prev)
    ):
        return True
    return last in _INITIAL_AFTER


_AGENCY_END = re.compile(r"/[^\s/]+\s*/\s*$")


def _after_credit(text: str, prev: Token) -> bool:
    """The word after the last agency of a credit ("…/EPA/Shutterstock Website on drones").

    With two slashes or more the last part of a credit is an agency, one word, and the
    caption proper starts after it; after a single slash ("Reuters/Lena Hartmann") the
    part after the slash is a photographer's full name.
    """
    return _AGENCY_END.search(text, max(0, prev.start - 80), prev.start) is not None


def find_names(text: str, evidence: str = "") -> list[NameMention]:
    """Capitalised name spans of `text`, with the words that identify them.

    A capitalised word at the start of a sentence, quote or caption is a name when it is
    followed by another name word, is an acronym, or is capitalised in mid-sentence
    somewhere in `text` or `evidence` (the other side of the comparison); it is an
    ordinary word when it is written in lower case there, or is a common English word
    (`lexicon`), so "Meanwhile" or "Homeowners" are not taken for names while "Merkel" and
    "Harris" are.
    """
    toks = tokens(text)
    initials = _initials(text)
    known = _mid_sentence_capitals(text) | _mid_sentence_capitals(evidence)
    lower = _lower_case(text) | _lower_case(evidence)
    mentions: list[NameMention] = []
    run: list[tuple[Token, bool, bool]] = []  # (token, identifying, guessed)

    def close() -> None:
        while run and (not run[0][1] and run[0][0].folded in STOPWORDS):
            run.pop(0)  # "The Kremlin", "In Warsaw"
        words = tuple(t.folded for t, ident, _ in run if ident)
        if words:
            first, last = run[0][0], run[-1][0]
            guessed = all(g for _, ident, g in run if ident)
            mentions.append(
                NameMention(
                    first.start, last.end, text[first.start : last.end], words, None, guessed
                )
            )
        run.clear()

    prev: Token | None = None
    for i, tok in enumerate(toks):
        if not (tok.text[0].isupper() and len(tok.folded) > 1):
            if run and prev is run[-1][0] and _syllable(text, prev, tok):
                last, ident, guessed = run[-1]  # "Chun-shan" is one word, "chunshan"
                glued = text[last.start : tok.end]
                run[-1] = (Token(last.start, tok.end, glued, fold(glued)), ident, guessed)
                prev = run[-1][0]
                continue
            if run and not (
                tok.folded in _CONNECTORS and prev is not None and text[prev.end : tok.start] == " "
            ):
                close()
            prev = tok
            continue
        gap = text[prev.end : tok.start] if prev is not None else ""
        joined = bool(run) and gap in (" ", "-")
        initial = initials[i]
        if run and (not joined or initial):
            close()
        ident = _identifying(tok)
        guessed = False
        if initial and ident:
            seen = _evidence(text, toks, i, known, lower)
            ident, guessed = seen is not None, seen == "guess"
        run.append((tok, ident, guessed))
        prev = tok
    close()
    return _mark_credits(text, mentions)


def _syllable(text: str, prev: Token, tok: Token) -> bool:
    """A lower-case syllable hyphened to a short name word: "Chun-shan", "Jae-in" (but
    not "Kremlin-led" or "Kyiv-based")."""
    return (
        text[prev.end : tok.start] == "-"
        and len(prev.folded) <= 5
        and len(tok.folded) <= 5
        and english_zipf(tok.folded) < _SYLLABLE
    )


_SYLLABLE = 4.0  # zipf: "led", "run" and "era" are English words; "shan", "hui" are not


def _mark_credits(text: str, mentions: list[NameMention]) -> list[NameMention]:
    """Number the groups of names joined by "/" ("Koen Verbeke/EPA/Shutterstock")."""
    out: list[NameMention] = []
    group = 0
    for i, m in enumerate(mentions):
        after = i + 1 < len(mentions) and text[m.end : mentions[i + 1].start].strip() in ("/", "|")
        before = bool(out) and text[out[-1].end : m.start].strip() in ("/", "|")
        if not before and after:
            group += 1
        if before or after:
            m = m._replace(credit=group)
            if before and out[-1].credit is None:
                out[-1] = out[-1]._replace(credit=group)
        out.append(m)
    return out


def _identifying(tok: Token) -> bool:
    f = tok.folded
    if f in TITLES or f in _DATE_WORDS:
        return False
    # An acronym identifies even when it spells a common word: "US", "WHO".
    return (f not in GENERIC and f not in STOPWORDS) or (tok.text.isupper() and len(f) > 1)


def _evidence(
    text: str, toks: Sequence[Token], i: int, known: frozenset[str], lower: frozenset[str]
) -> Literal["sure", "guess"] | None:
    """Whether a capitalised word opening a sentence is a name: "sure" with evidence in
    the texts, "guess" when only the lexicon says it is no ordinary word, None if not."""
    tok = toks[i]
    if tok.folded in known or (tok.text.isupper() and len(tok.text) > 1) or is_place(tok.folded):
        return "sure"
    nxt = toks[i + 1] if i + 1 < len(toks) else None
    gap = text[tok.end : nxt.start] if nxt is not None else ""
    if nxt is not None and gap in (" ", "-", "/") and _capitalised(nxt) and _identifying(nxt):
        return "sure"
    if tok.folded in lower:
        return None  # written in lower case elsewhere: an ordinary word
    if _PREFIX.match(text, tok.end) and english_zipf(tok.folded) >= _PREFIX_ZIPF:
        return None  # "Anti-war", "Ex-minister", but "Kremlin-backed"
    if _APPOSITION.match(text, tok.end) or _coordinated(text, toks, i, known):
        return "sure"  # "Harris, 59, took office", "Watson and Crick"
    if ordinary_word(tok.folded) or tok.folded.endswith(_FOLLOWERS):
        return None
    return "guess"


_PREFIX = re.compile(r"-[a-z]")
_PREFIX_ZIPF = 4.5  # prefixes are among the most common English words
# Followers of a name are a common noun, capitalised: "Trumpists", "Thatcherites".
_FOLLOWERS = ("ist", "ists", "ism", "isms", "ites")
_APPOSITION = re.compile(r"(?:’s|'s)?,\s*\d{1,3},")  # an age after a name
_AND = frozenset({"and", "or", "nor"})


def _coordinated(text: str, toks: Sequence[Token], i: int, known: frozenset[str]) -> bool:
    """Joined by "and" to a word capitalised in mid-sentence: "Watson and Crick used…"."""
    if i + 2 >= len(toks) or toks[i + 1].folded not in _AND:
        return False
    other = toks[i + 2]
    return _capitalised(other) and other.folded in known and _identifying(other)


@lru_cache(maxsize=512)
def _initials(text: str) -> tuple[bool, ...]:
    """For each token of `text`: is it capitalised at the opening of a sentence or clause?"""
    toks = tokens(text)
    return tuple(
        _capitalised(tok) and _initial(text, tok, toks[i - 1] if i else None)
        for i, tok in enumerate(toks)
    )


@lru_cache(maxsize=512)
def _lower_case(text: str) -> frozenset[str]:
    """Words written in lower case somewhere in `text`: they are no names there."""
    return frozenset(t.folded for t in tokens(text) if t.text[:1].islower())


@lru_cache(maxsize=512)
def _mid_sentence_capitals(text: str) -> frozenset[str]:
    initials = _initials(text)
    return frozenset(
        tok.folded
        for i, tok in enumerate(tokens(text))
        if _capitalised(tok) and not initials[i] and _identifying(tok)
    )


# --- comparing the names of two texts -------------------------------------------------------


class NamePool:
    """The words of a text, indexed for asking "is this name written here, in any spelling?".

    All words count, lower-case ones too: a name the other side wrote at the start of a
    sentence, or as an ordinary word ("the council"), is still there. The slower indexes
    (two neighbours as one word, capitalised words by first sound) are built on the first
    question the plain word set cannot answer.
    """

    def __init__(self, text: str, mentions: list[NameMention]) -> None:
        self._toks = tokens(text)
        self._plain = frozenset(t.folded for t in self._toks)
        self._stems: frozenset[str] | None = None
        self._text = text
        self._compact: frozenset[str] | None = None
        self._capitals: frozenset[str] | None = None
        self.mentions = mentions
        self.acronyms = frozenset(
            "".join(w[0] for w in m.words) for m in mentions if len(m.words) > 1
        )
        self._words: frozenset[str] | None = None
        self._names: frozenset[str] = frozenset()
        self._index: dict[str, list[str]] = {}

    @property
    def words(self) -> frozenset[str]:
        """Every word, and every two neighbours as one ("South Vale" -> "southvale")."""
        if self._words is None:
            words = [t.folded for t in self._toks]
            self._words = self._plain | frozenset(a + b for a, b in pairwise(words))
            # Only capitalised words can be another spelling of a name.
            caps = [t.folded for t in self._toks if t.text[0].isupper() and len(t.folded) > 1]
            self._names = frozenset(caps) | frozenset(a + b for a, b in pairwise(caps))
            for w in self._names:
                for sound in sounds(w):
                    self._index.setdefault(sound, []).append(w)
        return self._words

    def has_word(self, word: str) -> bool:
        """Whether the word is written here as it is, in any case."""
        return word in self._plain

    def has_other_form(self, key: str) -> bool:
        """Whether another form of what the compact form `key` names is written here:
        "United States" for "US", "yuan" for "RMB" (`forms`)."""
        others = equivalents(key)
        if not others:
            return False
        self._index_forms()
        assert self._capitals is not None and self._compact is not None
        return any(f.key in (self._capitals if f.caps else self._compact) for f in others)

    def _index_forms(self) -> None:
        if self._compact is None:
            folded = [t.folded for t in self._toks]
            self._compact = frozenset(
                "".join(folded[i : i + n])
                for n in range(1, _LONGEST_FORM + 1)
                for i in range(len(folded) - n + 1)
            )
            self._capitals = frozenset(
                a for a in (abbreviation(m.group()) for m in _CAPITALS.finditer(self._text)) if a
            )

    def has_capitals(self, letters: str) -> bool:
        """Whether the text writes this abbreviation in capitals ("FBI", "U.S.")."""
        self._index_forms()
        assert self._capitals is not None
        return letters in self._capitals

    def spells_out(self, letters: str, plural: bool) -> bool:
        """Whether the text spells out an abbreviation by initials ("local area network")."""
        return spelled_out(letters, self._toks, plural)

    def has_form(self, word: str) -> bool:
        """Whether another form of an ordinary word is here ("Prices" / "price")."""
        if self._stems is None:
            self._stems = frozenset(stem(w) for w in self._plain)
        return stem(word) in self._stems

    def has(self, word: str) -> bool:
        if word in self._plain or word in self.acronyms or word in self.words:
            return True
        if self.has_other_form(word):
            return True
        if any(same_name(word, c) for s in sounds(word) for c in self._index.get(s, [])):
            return True
        # A compound written as one word on the other side: "Dock Workers" / "Dockworkers".
        return len(word) >= 5 and any(
            len(c) > len(word) + 2 and c.endswith(word) for c in self._names
        )


_LONGEST_FORM = 4  # words: "United States of America"
_CAPITALS = re.compile(r"\b(?:[A-Z]\.){2,}|\b[A-Z][A-Z&]*[A-Z]s?\b")


def name_present(mention: NameMention, pool: NamePool, glossary: list[tuple[str, str]]) -> bool:
    """Whether the name of `mention` is written, in some spelling, in the pool's text."""
    if pool.has_word(mention.head) or fold(mention.text) in pool.words:
        return True
    # Found in another spelling only, a name must keep its generic words: "European
    # Union" is not "Europe" (though "European" is a spelling of "Europe").
    if (
        pool.has(mention.head)
        or (mention.guessed and pool.has_form(mention.head))
        or (len(mention.words) > 1 and _same_person(mention, pool))
    ) and _generic_words_present(mention, pool):
        return True
    if _other_form(mention, pool):
        return True
    for variant, canonical in glossary:
        for mine, theirs in ((variant, canonical), (canonical, variant)):
            if mine.split()[-1] == mention.head and theirs.split()[-1] in pool.words:
                return True
    return False


def _other_form(mention: NameMention, pool: NamePool) -> bool:
    """Another form of the name on the other side: "US" for "United States", "FBI" for
    "Federal Bureau of Investigation", "local area network" for "LAN"."""
    if pool.has_other_form(mention.head) or pool.has_other_form(compact(mention.text)):
        return True
    if len(mention.words) > 1:
        # The initials of every word, generic ones included, written in capitals.
        initials = "".join(t.folded[0] for t in tokens(mention.text) if t.folded not in SKIPPED)
        if pool.has_capitals(initials) or "".join(w[0] for w in mention.words) in pool.words:
            return True
    letters = abbreviation(mention.text)
    return letters is not None and (
        pool.has_other_form(letters) or pool.spells_out(letters, mention.text.endswith("s"))
    )


def _generic_words_present(mention: NameMention, pool: NamePool) -> bool:
    """The generic words beside a name's head are part of it: "European Union" is not
    "Europe". (A person's title or office elsewhere in the mention is not.)"""
    toks = tokens(mention.text)
    at = next((i for i, t in enumerate(toks) if t.folded == mention.head), None)
    if at is None:
        return True
    beside = toks[max(0, at - 1) : at] + toks[at + 1 : at + 2]
    return all(
        pool.has_form(t.folded) for t in beside if t.folded in GENERIC and t.text[:1].isupper()
    )


def _same_person(mention: NameMention, pool: NamePool) -> bool:
    """ "Steve Witco" for "Steve Witkoff": with the same first name, a surname that keeps
    the beginning of the other's skeleton is the same person."""
    key = name_key(mention.head)
    for other in pool.mentions:
        if len(other.words) > 1 and other.words[0] == mention.words[0]:
            okey = name_key(other.head)
            short, long = sorted((key, okey), key=len)
            if (
                len(short) >= 3
                and long.startswith(short)
                and not gendered(*sorted((mention.head, other.head), key=len))
            ):
                return True
    return False


def glossary_pairs(glossary: Mapping[str, str] | None) -> list[tuple[str, str]]:
    """Glossary entries as folded words: "Union of Dock Workers" -> "union of dock workers"."""
    if not glossary:
        return []
    return [
        (" ".join(t.folded for t in tokens(v)), " ".join(t.folded for t in tokens(c)))
        for v, c in glossary.items()
        if tokens(v) and tokens(c)
    ]
