"""Providers fetch a source's payloads for a league and date; they never write to the warehouse."""
