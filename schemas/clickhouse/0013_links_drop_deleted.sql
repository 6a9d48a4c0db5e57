-- Deleting a link now removes its rows from the links mirror (consumer/link_changes.py),
-- as the README promises: title, destination and contact id go with it. Databases from
-- before that still hold the deleted links, marked by a row with deleted = 1 (0003) beside
-- their older versions: remove every row of those links, older versions included, so FINAL
-- cannot bring an older live-looking version back. A mutation, waited for; it runs once
-- on a table of a few rows per link, and a rerun finds nothing to remove. ALTER rather
-- than a lightweight DELETE so the statement runs ON CLUSTER like the other migrations.
-- Replicated tables call a subquery nondeterministic (each replica reads its own copy):
-- here every replica of a shard holds the same deleted rows, and a link deleted since
-- would be removed anyway, so each ends with the same rows.
ALTER TABLE links{on_cluster}
    DELETE WHERE (tenant_id, link_id) IN (SELECT tenant_id, link_id FROM links WHERE deleted = 1)
    SETTINGS mutations_sync = 2, allow_nondeterministic_mutations = 1;
