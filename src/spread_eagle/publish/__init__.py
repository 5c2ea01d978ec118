"""Publishing: build the UI relations, then switch the date's slate in one transaction."""
