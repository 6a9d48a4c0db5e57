-- A batch of message rewrites (one message a contact of a campaign) looks up the live links
-- of thousands of contacts at once: by contact, then campaign, rather than by destination,
-- which a campaign sent before shares with every one of its contacts.
CREATE INDEX links_by_contact ON links (tenant_id, contact_id, campaign) WHERE deleted_at IS NULL;
