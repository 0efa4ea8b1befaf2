"""The benefit rules, one module a benefit: each takes a parsed `Case` and a `Policy` with
rules for it and returns a `Decision`."""
