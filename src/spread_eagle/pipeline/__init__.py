"""The runner: the seven steps in order, the run ledger, the run lock, resume with --from-step."""
