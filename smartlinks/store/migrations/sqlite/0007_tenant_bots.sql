-- Clients a tenant knows are no people (its monitors, its QA): user-agent substrings and
-- IP networks (CIDR), one a line; '' is none. The consumer counts their clicks as bots.
ALTER TABLE tenants ADD COLUMN bot_user_agents TEXT NOT NULL DEFAULT '';
ALTER TABLE tenants ADD COLUMN bot_ip_ranges TEXT NOT NULL DEFAULT '';
