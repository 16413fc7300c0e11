"""The community CRM Discord bot (a later issue)."""
