-- Human clicks handed out against a link's max_clicks (smartlinks/store/click_counts.py):
-- every redirector leases blocks of clicks from this one counter, so the limit holds across
-- all of them. A row appears with the first lease and goes with the link's deletion.
CREATE TABLE link_click_counts (
    link_id TEXT PRIMARY KEY,
    used INTEGER NOT NULL
);
