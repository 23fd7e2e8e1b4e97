"""Schema checks: a schema change against a base, its breaking changes against field usage."""
