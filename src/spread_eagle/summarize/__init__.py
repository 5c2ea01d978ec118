"""Summaries: a RAG context payload per game, a TL;DR from an LLM provider, a grounding check."""
