"""The permission policy: action classes, per-domain rules, approvals, grants and the audit log.

- :mod:`.actions` action classes; :mod:`.domains` URL/host → site (W13); :mod:`.irreversible` W11 verbs;
- :mod:`.rules` the policy file (TOML over ``default_policy.toml``); :mod:`.grants` grants in SQLite;
- :mod:`.proposed` the structured action; :mod:`.decide` the decision; :mod:`.approval` what the user sees;
- :mod:`.audit` the hash-chained log; :mod:`.hook` the tool-registry hook; :mod:`.runtime` the daemon's
  handle on all of it; :mod:`.cli` ``webbridge policy|grants|audit``.
"""
