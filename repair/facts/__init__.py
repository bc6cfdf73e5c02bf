"""What a text says: its names (`names`), numbers (`numbers`), dates, quotes and negations,
read into a ledger (`ledger`). Pure functions over strings, no model.
"""

from repair.facts.ledger import Fact, FactLedger, extract_facts

__all__ = ["Fact", "FactLedger", "extract_facts"]
