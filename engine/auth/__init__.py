"""Users, roles, bearer tokens and API keys."""
