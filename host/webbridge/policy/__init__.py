"""The permission policy: action classes, per-domain rules, approvals, grants and the audit log."""
