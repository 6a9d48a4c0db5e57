"""The HTTP API under ``/api/v1``: link management, tenant settings and API keys."""
