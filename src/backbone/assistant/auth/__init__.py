"""Accounts and auth of the assistant: Argon2id passwords, JWT access tokens, rotating
refresh tokens, rate-limited logins. The routes are :data:`backbone.assistant.auth.routes.router`;
other routes use the dependencies in :mod:`backbone.assistant.deps`."""
