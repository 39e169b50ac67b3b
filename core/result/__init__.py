"""The result document (the agent/server/API contract): build it, and validate it."""
