"""The runbook's section 7 checks: any failure makes the run invalid."""
