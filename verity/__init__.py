"""verity: a claim-verification and source-conflict tracker for fact-checkers."""

__version__ = "0.1.0"
