-- Clients a tenant knows are no people: sqlite/0007_tenant_bots.sql for PostgreSQL. A
-- constant default makes each ADD COLUMN a catalogue change, with no rewrite of the table.
ALTER TABLE tenants
    ADD COLUMN bot_user_agents TEXT NOT NULL DEFAULT '',
    ADD COLUMN bot_ip_ranges TEXT NOT NULL DEFAULT '';
