"""Test support shipped with the package, for our tests and users' own: the fake
OpenAI-compatible server (`fake`, also `python -m repair.fake`) and the golden cases
(`golden`)."""
