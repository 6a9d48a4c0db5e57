-- Human clicks handed out against a link's max_clicks: sqlite/0011_link_click_counts.sql
-- for PostgreSQL. A lease locks its one row for the length of two short statements.
CREATE TABLE link_click_counts (
    link_id TEXT PRIMARY KEY,
    used BIGINT NOT NULL
);
