-- Tenant names are unique, whatever their case: an operator names a tenant to
-- `smartlinks key create` and reads it in `smartlinks tenant list`, and two tenants of one
-- name are one mistake away from a key given to the wrong one. A database made before
-- this may hold such pairs: the oldest keeps its name, the later ones become "name (2)",
-- "name (3)"..., each rename recorded in tenant_renames (`smartlinks migrate` and
-- `smartlinks tenant list` show them).
CREATE TABLE tenant_renames (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    old_name   TEXT NOT NULL,
    new_name   TEXT NOT NULL,
    renamed_at BIGINT NOT NULL
);

INSERT INTO tenant_renames (tenant_id, old_name, new_name, renamed_at)
SELECT id, name, name || ' (' || n || ')', CAST(strftime('%s', 'now') AS INTEGER) * 1000
FROM (SELECT id, name, row_number() OVER (PARTITION BY lower(name) ORDER BY id) AS n FROM tenants) AS ranked
WHERE n > 1;

UPDATE tenants SET name = (SELECT new_name FROM tenant_renames WHERE tenant_renames.tenant_id = tenants.id)
WHERE id IN (SELECT tenant_id FROM tenant_renames);

CREATE UNIQUE INDEX tenants_name_unique ON tenants (lower(name));
