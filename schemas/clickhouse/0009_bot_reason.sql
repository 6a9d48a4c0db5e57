-- Why a click was counted as a bot: the rule that decided (consumer/enrich/bots.py:
-- head, empty_ua, preview, probe, cli, crawlerdetect, crawler_list, not_browser,
-- forged_browser, feed_media, ...); '' for a person. Rows written before it read ''.
-- The rollups name their columns, so they are unchanged. IF NOT EXISTS: a run that
-- stopped half-way applies again cleanly.
ALTER TABLE clicks{on_cluster}
    ADD COLUMN IF NOT EXISTS bot_reason LowCardinality(String) DEFAULT '' AFTER bot_kind;
