"""`python -m repair.fake`: the fake server's old address, kept working (it now lives in
`repair.testing.fake`)."""

from repair.testing.fake import FakeServer, main

__all__ = ["FakeServer", "main"]

if __name__ == "__main__":
    raise SystemExit(main())
