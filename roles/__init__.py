"""The composition of Smart Links: what each process runs, and the ``smartlinks`` command.

This package sits above the parts: it may import ``redirector``, ``consumer`` and ``api``,
and none of them (nor the core ``smartlinks``) may import it. Each command builds its
process from its own module (``roles.redirector``, ``roles.api``, ``roles.consumer``,
``roles.analytics``, ``roles.embedded``), imported only when that command runs, so a
redirector loads no ClickHouse client, user-agent parser or API.
"""
