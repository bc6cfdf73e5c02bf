"""Minimal pairs: one name, form or number changed in an otherwise identical sentence.

CAUGHT must each raise the issue kind given; ACCEPTED are fair repairs (another form of
the same name, currency or number) that must raise none. Both directions are checked
where the change is symmetric: a name removed from the repair is also a name added when
the texts are swapped.
"""

from __future__ import annotations

import pytest

from repair.validation import validate_paragraph

CAUGHT = [
    # A name opening a sentence, replaced by a name or by a common word, or removed.
    (
        "Merkel told the delegates the talks would go on.",
        "Minister told the delegates the talks would go on.",
    ),
    (
        "Portugal is by far the largest producer of cork.",
        "Denver is by far the largest producer of cork.",
    ),
    ("Harris, 59, took office in January.", ", 59, took office in January."),
    ("Watson and Crick used X-ray images.", "And Crick used X-ray images."),
    ("Okonkwo scored twice before the break.", "Everyone scored twice before the break."),
    ("Zelensky thanked the crowd.", "He thanked the crowd."),
    ("Tusk met the farmers on Monday.", "Orban met the farmers on Monday."),
    ("Helsinki will host the summit.", "Geneva will host the summit."),
    ("Samsung posted a record profit.", "Apple posted a record profit."),
    ("Putin’s envoy arrived late.", "The envoy arrived late."),
    ("Kowalczyk, 41, was arrested at the border.", "The driver, 41, was arrested at the border."),
    # An acronym or a name of several words dropped or replaced in mid-sentence.
    ("Talks stalled after the EU negotiators left.", "Talks stalled after the negotiators left."),
    ("Police found a blue Fiat Punto near the bridge.", "Police found a blue near the bridge."),
    ("The WHO issued a warning.", "The IMF issued a warning."),
    ("US exports to China rose.", "Exports to China rose."),
    ("US exports to China rose.", "UK exports to China rose."),
    ("Troops from the EU arrived.", "Troops from Europe arrived."),
    ("Prices rose in Iran.", "Prices rose in Iraq."),
    ("The team flew to Slovenia.", "The team flew to Slovakia."),
    ("Aid reached Niger on Friday.", "Aid reached Nigeria on Friday."),
    ("The quote was from Stalin.", "The quote was from Stallone."),
    ("She was born in Georgia.", "She was born in George."),
    ("He read Pushkin aloud.", "He read Pushilin aloud."),
    ("Donald Tusk met the press.", "Donald Trump met the press."),
    # Money and numbers.
    ("It raised S$500 million.", "It raised 500 million euros."),
    ("The fund holds 5 billion yuan.", "The fund holds 5 billion yen."),
    ("It was the Ninth Conciliation.", "It was the Tenth Conciliation."),
    (
        "They met at the Ninth Conciliation. Talks at the Ninth Conciliation stalled.",
        "They met at the Ninth Conciliation. Tenth Conciliation talks stalled.",
    ),
]

ACCEPTED = [
    # Countries: codes, names, official names, adjectives.
    ("US exports rose.", "U.S. exports rose."),
    ("US exports rose.", "United States exports rose."),
    ("US exports rose.", "American exports rose."),
    ("Exports to the US rose.", "Exports to America rose."),
    ("Exports to the USA rose.", "Exports to the United States of America rose."),
    ("Talks with the UK resumed.", "Talks with Britain resumed."),
    ("Ankara and Turkey’s allies agreed.", "Ankara and Türkiye’s allies agreed."),
    ("The Czech Republic voted no.", "Czechia voted no."),
    # Currencies: codes, names, symbols.
    ("The fund holds 5 billion RMB.", "The fund holds 5 billion yuan."),
    ("The fund holds RMB 5 billion.", "The fund holds 5 billion yuan."),
    ("It raised S$500 million.", "It raised 500 million Singapore dollars."),
    ("It raised SGD 500 million.", "It raised S$500 million."),
    ("Tickets cost ¥3,000.", "Tickets cost 3,000 yen."),
    ("Rent is HK$20,000 a month.", "Rent is 20,000 Hong Kong dollars a month."),
    ("It cost €40 million.", "It cost 40 million euros."),
    # Abbreviations and what they stand for.
    ("The TV channel closed.", "The television channel closed."),
    ("The LAN failed.", "The local area network failed."),
    ("The local area network failed.", "The LAN failed."),
    ("ICs are in short supply.", "Integrated circuits are in short supply."),
    ("The UN sent observers.", "The United Nations sent observers."),
    ("The FBI opened a case.", "The Federal Bureau of Investigation opened a case."),
    ("He met EU leaders.", "He met leaders of the European Union."),
    # Names written through another romanisation, or with a hyphen.
    (
        "The ministry said Liu Chunsan would attend.",
        "The ministry said Liu Chun-shan would attend.",
    ),
    ("Eltsin resigned in 1999.", "Yeltsin resigned in 1999."),
    ("The group of Prigojin marched.", "The group of Prigozhin marched."),
    ("They played Tchaikovskiy.", "They played Tchaikovsky."),
    ("The oligarch Hodorkovsky spoke.", "The oligarch Khodorkovsky spoke."),
    ("Chancellor Scholtz spoke.", "Chancellor Scholz spoke."),
    # A word opening a sentence that is no name, reworded.
    ("Officials said the bridge was safe.", "Authorities said the bridge was safe."),
    ("Subsequently the talks ended.", "Later the talks ended."),
    ("Homeowners protested.", "Home owners protested."),
    ("Prices rose sharply.", "The price rose sharply."),
    # An ordinal that moved within its clause.
    (
        "In the Ninth Conciliation the parties met. The Ninth Conciliation ended. "
        "They left the Ninth Conciliation.",
        "The parties met in the Ninth Conciliation. The Ninth Conciliation ended. "
        "They left the Ninth Conciliation.",
    ),
    (
        "The parties met at the Ninth Conciliation in May. At the Ninth Conciliation, the "
        "union spoke. Talks at the Ninth Conciliation stalled.",
        "The parties met in May at the Ninth Conciliation. The union spoke at the Ninth "
        "Conciliation. Ninth Conciliation talks stalled.",
    ),
    (
        "During the third round of the talks, on the third day, the envoys left.",
        "The envoys left on the third day of the third round of the talks.",
    ),
]


@pytest.mark.parametrize(("source", "repaired"), CAUGHT)
def test_a_changed_fact_is_caught(source: str, repaired: str) -> None:
    assert validate_paragraph(source, repaired), "missed"


@pytest.mark.parametrize(("source", "repaired"), CAUGHT)
def test_a_changed_fact_is_caught_the_other_way(source: str, repaired: str) -> None:
    assert validate_paragraph(repaired, source), "missed"


@pytest.mark.parametrize(("source", "repaired"), ACCEPTED)
def test_another_form_of_the_same_fact_is_accepted(source: str, repaired: str) -> None:
    issues = validate_paragraph(source, repaired)
    assert issues == [], [i.message for i in issues]


@pytest.mark.parametrize(("source", "repaired"), ACCEPTED)
def test_another_form_is_accepted_the_other_way(source: str, repaired: str) -> None:
    issues = validate_paragraph(repaired, source)
    assert issues == [], [i.message for i in issues]
