"""Parsers turn one verbatim payload into rows of its source's raw table, quarantining the rest."""
