-- SoulSpot schema (SQLite form), generated from src/db/migrations by `npm run schema`. PostgreSQL has the same tables.
-- (There, events.id is bigint GENERATED ALWAYS AS IDENTITY instead of integer AUTOINCREMENT, and downloads.position uses COLLATE "C".)

CREATE TABLE "albums" ("id" text primary key, "artist" text not null, "album" text not null, "year" integer, "quality_profile_id" text references "quality_profiles" ("id") on delete set null, "folder_provider" text, "folder_username" text, "folder_directory" text, "folder_files" integer, "track_count" integer not null, "created_at" bigint not null, "updated_at" bigint not null, "completed_at" bigint, "folder_search" text default 'done' not null, "folder_search_owner" text, "folder_search_until" bigint, "folder_search_error" text, "named_provider" text, "named_username" text, "named_directory" text, "preferred_provider" text);

CREATE TABLE "attempts" ("id" text primary key, "download_id" text not null references "downloads" ("id") on delete cascade, "round" integer not null, "provider" text not null, "username" text not null, "filename" text not null, "size" bigint not null, "extension" text not null, "bit_rate" integer, "sample_rate" integer, "bit_depth" integer, "length_seconds" integer, "batch_id" text not null unique, "transfer_id" text, "state" text not null, "error_code" text, "error_message" text, "local_path" text, "target_path" text, "requeues" integer default 0 not null, "created_at" bigint not null, "updated_at" bigint not null, "finished_at" bigint, "transcode_check" text, "suspect_transcode" integer, "transcode_cutoff_hz" integer, "post_step" text, "post_digest" text, "transfer_speed" bigint, "release" text);

CREATE TABLE "blocklist" ("id" text primary key, "username" text not null, "filename" text default '' not null, "reason" text, "source" text not null, "failure_count" integer default 0 not null, "created_at" bigint not null, "expires_at" bigint, "file_key" text default '' not null, "provider" text default 'slskd' not null);

CREATE TABLE "downloads" ("id" text primary key, "status" text not null, "artist" text not null, "title" text not null, "album" text, "album_artist" text, "track_number" integer, "disc_number" integer, "year" integer, "genre" text, "dedupe_key" text not null, "priority" integer default 0 not null, "progress" real default 0 not null, "bytes_transferred" bigint default 0 not null, "size" bigint, "retry_count" integer default 0 not null, "max_retries" integer not null, "next_retry_at" bigint, "run_after" bigint not null, "error_code" text, "error_message" text, "search_id" text, "query_index" integer default 0 not null, "candidates" text, "current_attempt_id" text, "queue_position" integer, "library_path" text, "lease_owner" text, "lease_expires_at" bigint, "lease_token" integer default 0 not null, "created_at" bigint not null, "updated_at" bigint not null, "completed_at" bigint, "duration_seconds" double precision, position text NOT NULL DEFAULT '', "hold" text default 'none' not null, "scheduled_at" bigint, "source_wait" text, "source_wait_since" bigint, "quality_profile_id" text references "quality_profiles" ("id") on delete set null, "transcode_check" text, "suspect_transcode" integer, "transcode_cutoff_hz" integer, "cover_url" text, "isrc" text, "musicbrainz_recording_id" text, "musicbrainz_release_id" text, "musicbrainz_artist_id" text, "musicbrainz_release_group_id" text, "track_total" integer, "disc_total" integer, "album_id" text references "albums" ("id") on delete set null, "pinned_candidates" text, "search_provider" text, "preferred_provider" text);

CREATE TABLE "events" ("id" integer primary key autoincrement, "type" text not null, "payload" text not null, "created_at" bigint not null);

CREATE TABLE "feed_entries" ("id" text primary key, "feed_id" text not null references "feeds" ("id") on delete cascade, "entry_hash" text not null, "entry_id" text not null, "title" text not null, "link" text, "published_at" bigint, "enclosure_url" text, "seen_at" bigint not null, "outcome" text not null, "reason" text not null, "rule_id" text references "watchlist_rules" ("id") on delete set null, "kind" text, "artist" text, "release" text, "year" integer, "quality_profile_id" text, "download_id" text, "album_id" text, "claim_owner" text, "claim_until" bigint, "attempts" integer default 0 not null, "last_error" text, "updated_at" bigint not null, "provider" text);

CREATE TABLE "feeds" ("id" text primary key, "name" text not null, "url" text not null, "interval_minutes" integer not null, "enabled" integer not null, "allow_private" integer not null, "etag" text, "last_modified" text, "next_poll_at" bigint not null, "lease_owner" text, "lease_until" bigint, "lease_token" integer default 0 not null, "failures" integer default 0 not null, "last_polled_at" bigint, "last_status" text, "last_http_status" integer, "last_error" text, "last_entry_count" integer, "last_new_count" integer, "created_at" bigint not null, "updated_at" bigint not null);

CREATE TABLE "filing_slots" ("slot_no" integer primary key, "download_id" text, "lease_token" integer, "expires_at" bigint);

CREATE TABLE "jobs" ("id" text primary key, "task" text not null, "payload" text not null, "unique_key" text, "state" text default 'queued' not null, "attempts" integer default 0 not null, "max_attempts" integer not null, "run_after" bigint not null, "lease_owner" text, "lease_expires_at" bigint, "lease_token" integer default 0 not null, "last_error" text, "created_at" bigint not null, "updated_at" bigint not null);

CREATE TABLE "lidarr_grabs" ("nzo_id" text primary key, "nzb_key" text not null unique, "album_id" text, "title" text not null, "category" text not null, "priority" integer not null, "size" bigint not null, "created_at" bigint not null, "removed_at" bigint);

CREATE TABLE "lidarr_sync_runs" ("id" text primary key, "started_at" bigint not null, "finished_at" bigint, "seen" integer not null, "queued" integer not null, "imported" integer not null, "failed" integer not null, "error" text);

CREATE TABLE "lidarr_wanted" ("lidarr_album_id" integer primary key, "album_id" text, "artist" text not null, "title" text not null, "state" text not null, "error" text, "created_at" bigint not null, "updated_at" bigint not null);

CREATE TABLE "notification_deliveries" ("id" text primary key, "target_id" text not null references "notification_targets" ("id") on delete cascade, "message_id" text not null, "event" text not null, "item_count" integer not null, "attempt" integer not null, "outcome" text not null, "status_code" integer, "error" text, "duration_ms" integer not null, "at" bigint not null);

CREATE TABLE "notification_items" ("id" text primary key, "job_id" text not null references "jobs" ("id") on delete cascade, "event" text not null, "data" text not null, "created_at" bigint not null);

CREATE TABLE "notification_targets" ("id" text primary key, "name" text not null, "type" text not null, "url" text not null, "secret" text, "token" text, "topic" text, "events" text not null, "enabled" integer not null, "created_at" bigint not null, "updated_at" bigint not null);

CREATE TABLE "peer_failures" ("id" text primary key, "username" text not null, "filename" text not null, "error_code" text not null, "at" bigint not null, "provider" text default 'slskd' not null, "download_id" text);

CREATE TABLE "peer_stats" ("provider" text default 'slskd' not null, "username" text not null, "successes" integer default 0 not null, "failures" integer default 0 not null, "failures_by_code" text default '{}' not null, "bytes" bigint default 0 not null, "speed_samples" integer default 0 not null, "average_speed" double precision default 0 not null, "last_failure_at" bigint, "updated_at" bigint not null, constraint "peer_stats_pkey" primary key ("provider", "username"));

CREATE TABLE "prefetch_marks" ("download_id" text primary key, "owner" text not null, "searching" integer not null, "until" bigint not null);

CREATE TABLE "process_clocks" ("owner" text primary key, "process_at" bigint not null, "db_at" bigint not null);

CREATE TABLE "provider_configs" ("id" text primary key, "role" text not null, "type" text not null, "settings" text not null, "enabled" integer not null, "position" integer not null, "updated_at" bigint not null);

CREATE TABLE "quality_profiles" ("id" text primary key, "name" text not null, "name_key" text not null, "description" text default '' not null, "rules" text not null, "is_default" integer default 0 not null, "built_in" integer default 0 not null, "created_at" bigint not null, "updated_at" bigint not null);

CREATE TABLE "queue_slots" ("slot_no" integer primary key, "download_id" text, "lease_token" integer, "expires_at" bigint);

CREATE TABLE "sessions" ("token_hash" text primary key, "created_at" bigint not null, "refreshed_at" bigint not null, "expires_at" bigint not null);

CREATE TABLE "settings" ("key" text primary key, "value" text not null, "updated_at" bigint not null);

CREATE TABLE "stats_daily" ("dim" text not null, "day" bigint not null, "key" text not null, "completed" integer not null, "failed" integer not null, "cancelled" integer not null, "bytes" bigint not null, "duration_ms" bigint not null, "speed_sum" bigint not null, "speed_n" integer not null, constraint "stats_daily_pk" primary key ("dim", "day", "key"));

CREATE TABLE "stats_deltas" ("id" integer primary key autoincrement, "sign" integer not null, "day" bigint not null, "status" text not null, "artist" text not null, "format" text, "provider" text, "peer" text, "bytes" bigint not null, "duration_ms" bigint not null, "error_code" text, "speed" bigint);

CREATE TABLE "stats_facts" ("download_id" text primary key, "finished_at" bigint not null, "day" bigint not null, "status" text not null, "artist" text not null, "format" text, "provider" text, "peer" text, "bytes" bigint not null, "duration_ms" bigint not null, "error_code" text, "speed" bigint);

CREATE TABLE "watchlist_rules" ("id" text primary key, "artist" text not null, "artist_key" text not null, "album" text, "keywords" text not null, "exclude_keywords" text not null, "allow_variants" integer not null, "kind" text not null, "quality_profile_id" text references "quality_profiles" ("id") on delete set null, "provider" text, "enabled" integer not null, "created_at" bigint not null, "updated_at" bigint not null);

CREATE INDEX albums_created ON albums (created_at, id);

CREATE INDEX albums_folder_search ON albums (folder_search_until)
    WHERE folder_search = 'pending';

CREATE INDEX attempts_active_user ON attempts (username, state);

CREATE INDEX attempts_download ON attempts (download_id);

CREATE INDEX blocklist_expiry ON blocklist (expires_at);

CREATE UNIQUE INDEX blocklist_source ON blocklist (provider, username, file_key);

CREATE UNIQUE INDEX downloads_active_dedupe ON downloads (dedupe_key)
    WHERE status IN ('waiting', 'searching', 'queued', 'downloading', 'processing');

CREATE INDEX downloads_album ON downloads (album_id, status)
    WHERE album_id IS NOT NULL;

CREATE INDEX downloads_at_source ON downloads (source_wait, priority DESC, position)
    WHERE source_wait IS NOT NULL;

CREATE INDEX downloads_claim ON downloads (status, run_after);

CREATE INDEX downloads_filing ON downloads (priority DESC, position, created_at, id)
    WHERE status = 'processing' AND hold = 'none';

CREATE INDEX downloads_lease ON downloads (lease_owner);

CREATE INDEX downloads_live_lease ON downloads (lease_expires_at)
    WHERE lease_expires_at IS NOT NULL;

CREATE INDEX downloads_newest ON downloads (created_at DESC, id DESC);

CREATE INDEX downloads_preferred_provider ON downloads (preferred_provider)
    WHERE preferred_provider IS NOT NULL;

CREATE INDEX downloads_quality_profile ON downloads (quality_profile_id, status)
    WHERE quality_profile_id IS NOT NULL;

CREATE INDEX downloads_queue ON downloads (priority DESC, position, created_at, id)
    WHERE status IN ('waiting', 'searching', 'queued', 'downloading') AND hold = 'none'
      AND next_retry_at IS NULL;

CREATE INDEX downloads_queue_order ON downloads (priority DESC, position, created_at, id);

CREATE INDEX downloads_retry_pending ON downloads (next_retry_at)
    WHERE next_retry_at IS NOT NULL;

CREATE INDEX downloads_scheduled ON downloads (scheduled_at)
    WHERE hold = 'scheduled';

CREATE INDEX downloads_status_hold ON downloads (status, hold);

CREATE INDEX downloads_status_newest ON downloads (status, created_at DESC, id DESC);

CREATE INDEX events_created_at ON events (created_at);

CREATE UNIQUE INDEX feed_entries_entry ON feed_entries (feed_id, entry_hash);

CREATE INDEX feed_entries_pending ON feed_entries (seen_at, id)
    WHERE outcome = 'pending';

CREATE INDEX feed_entries_seen ON feed_entries (feed_id, seen_at, id);

CREATE INDEX feeds_due ON feeds (next_poll_at) WHERE enabled = 1;

CREATE INDEX filing_slots_lease ON filing_slots (download_id, lease_token);

CREATE INDEX filing_slots_named ON filing_slots (slot_no) WHERE download_id IS NOT NULL;

CREATE INDEX jobs_due ON jobs (run_after, id) WHERE state = 'queued';

CREATE UNIQUE INDEX jobs_unique_key ON jobs (unique_key)
    WHERE unique_key IS NOT NULL;

CREATE INDEX lidarr_grabs_created ON lidarr_grabs (created_at);

CREATE INDEX lidarr_sync_runs_started ON lidarr_sync_runs (started_at);

CREATE INDEX notification_deliveries_target ON notification_deliveries (target_id, at, id);

CREATE INDEX notification_items_job ON notification_items (job_id, id);

CREATE INDEX peer_failures_at ON peer_failures (at);

CREATE INDEX peer_failures_user_at ON peer_failures (provider, username, at);

CREATE UNIQUE INDEX quality_profiles_name ON quality_profiles (name_key);

CREATE UNIQUE INDEX quality_profiles_one_default ON quality_profiles (is_default) WHERE is_default = 1;

CREATE INDEX queue_slots_lease ON queue_slots (download_id, lease_token);

CREATE INDEX queue_slots_named ON queue_slots (slot_no) WHERE download_id IS NOT NULL;

CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE INDEX stats_deltas_day ON stats_deltas (day);

CREATE TRIGGER stats_download_delete AFTER DELETE ON downloads
        WHEN OLD.status IN ('completed', 'failed', 'cancelled') BEGIN 
  INSERT INTO stats_deltas (sign, day, status, artist, format, provider, peer, bytes, duration_ms,
    error_code, speed)
  SELECT -1, day, status, artist, format, provider, peer, bytes, duration_ms, error_code, speed
  FROM stats_facts WHERE download_id = OLD.id;
  DELETE FROM stats_facts WHERE download_id = OLD.id; END;

CREATE TRIGGER stats_download_insert AFTER INSERT ON downloads
        WHEN NEW.status IN ('completed', 'failed', 'cancelled') BEGIN 
  INSERT INTO stats_facts (download_id, finished_at, day, status, artist, format, provider, peer,
    bytes, duration_ms, error_code, speed)
  SELECT d.id, COALESCE(d.completed_at, d.updated_at),
    (COALESCE(d.completed_at, d.updated_at) / 86400000) * 86400000,
    d.status, d.artist, lower(substr(a.extension, 1, 20)), a.provider, a.username,
    CASE WHEN d.status = 'completed' THEN COALESCE(a.size, d.size, 0) ELSE 0 END,
    CASE WHEN d.status = 'completed' AND COALESCE(d.completed_at, d.updated_at) > d.created_at
      THEN COALESCE(d.completed_at, d.updated_at) - d.created_at ELSE 0 END,
    CASE WHEN d.status = 'failed' THEN COALESCE(d.error_code, 'unknown') END,
    CASE WHEN d.status = 'completed' THEN a.transfer_speed END
  FROM downloads d LEFT JOIN attempts a ON a.id = d.current_attempt_id
  WHERE d.id = NEW.id AND d.status IN ('completed', 'failed', 'cancelled');
  INSERT INTO stats_deltas (sign, day, status, artist, format, provider, peer, bytes, duration_ms,
    error_code, speed)
  SELECT 1, day, status, artist, format, provider, peer, bytes, duration_ms, error_code, speed
  FROM stats_facts WHERE download_id = NEW.id; END;

CREATE TRIGGER stats_download_status AFTER UPDATE OF status ON downloads
        WHEN OLD.status IS NOT NEW.status
          AND (OLD.status IN ('completed', 'failed', 'cancelled') OR NEW.status IN ('completed', 'failed', 'cancelled'))
        BEGIN 
  INSERT INTO stats_deltas (sign, day, status, artist, format, provider, peer, bytes, duration_ms,
    error_code, speed)
  SELECT -1, day, status, artist, format, provider, peer, bytes, duration_ms, error_code, speed
  FROM stats_facts WHERE download_id = OLD.id;
  DELETE FROM stats_facts WHERE download_id = OLD.id; 
  INSERT INTO stats_facts (download_id, finished_at, day, status, artist, format, provider, peer,
    bytes, duration_ms, error_code, speed)
  SELECT d.id, COALESCE(d.completed_at, d.updated_at),
    (COALESCE(d.completed_at, d.updated_at) / 86400000) * 86400000,
    d.status, d.artist, lower(substr(a.extension, 1, 20)), a.provider, a.username,
    CASE WHEN d.status = 'completed' THEN COALESCE(a.size, d.size, 0) ELSE 0 END,
    CASE WHEN d.status = 'completed' AND COALESCE(d.completed_at, d.updated_at) > d.created_at
      THEN COALESCE(d.completed_at, d.updated_at) - d.created_at ELSE 0 END,
    CASE WHEN d.status = 'failed' THEN COALESCE(d.error_code, 'unknown') END,
    CASE WHEN d.status = 'completed' THEN a.transfer_speed END
  FROM downloads d LEFT JOIN attempts a ON a.id = d.current_attempt_id
  WHERE d.id = NEW.id AND d.status IN ('completed', 'failed', 'cancelled');
  INSERT INTO stats_deltas (sign, day, status, artist, format, provider, peer, bytes, duration_ms,
    error_code, speed)
  SELECT 1, day, status, artist, format, provider, peer, bytes, duration_ms, error_code, speed
  FROM stats_facts WHERE download_id = NEW.id; END;

CREATE INDEX stats_facts_finished ON stats_facts (finished_at);

CREATE INDEX stats_facts_speed ON stats_facts (finished_at)
    WHERE speed IS NOT NULL;
