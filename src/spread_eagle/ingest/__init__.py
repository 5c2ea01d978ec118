"""Ingestion: providers fetch payloads, raw storage keeps them verbatim, parsers land their rows."""
