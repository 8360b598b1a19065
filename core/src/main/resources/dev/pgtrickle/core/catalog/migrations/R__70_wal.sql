-- Capture from the WAL (docs/architecture.md, "WAL capture").
--
-- A source captured from the WAL has no capture triggers: the daemon decodes the database's slot
-- into its journal and, in each refresh's REPEATABLE READ transaction, loads the journal's changes
-- of transactions visible in the refresh snapshot and not in pgt_change_sources.wal_loaded into
-- the source's change buffer, stamped with the writer's xid8. From there on everything (frontiers,
-- the generated delta SQL, TRUNCATE markers, buffer cleanup) is what trigger capture uses.
--
-- Switches are snapshot cuts C (wal_cut):
--   trigger -> WAL: trigger rows count iff their transaction is visible in C, journal changes iff
--     not. wal_loaded starts at C; trigger rows of transactions not visible in C (written before
--     the triggers are gone) are deleted by the loader.
--   WAL -> trigger: the triggers are created first (their lock waits for every writer), then C is
--     taken: journal changes count iff visible in C, trigger rows iff not, until wal_loaded covers C.

-- Functions that read columns added in V4 are PL/pgSQL: an install stopped at an older version
-- runs this script too, and only SQL function bodies are checked against the tables at creation.

-- Whether every transaction visible in p_inner is visible in p_outer.
CREATE OR REPLACE FUNCTION pgtrickle._snapshot_covers(p_outer pg_snapshot, p_inner pg_snapshot) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE SET search_path = pg_catalog, pg_temp AS $$
    SELECT p_outer IS NOT NULL AND p_inner IS NOT NULL
       AND pg_snapshot_xmax(p_inner) OPERATOR(pg_catalog.<=) pg_snapshot_xmax(p_outer)
       AND NOT EXISTS (SELECT 1 FROM pg_snapshot_xip(p_outer) AS x
                       WHERE x OPERATOR(pg_catalog.<) pg_snapshot_xmax(p_inner)
                         AND pg_visible_in_snapshot(x, p_inner))
$$;

-- Whether some of the source's changes are still to be read from the journal.
CREATE OR REPLACE FUNCTION pgtrickle._needs_journal(p_source pgtrickle.pgt_change_sources) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN p_source.cdc_mode = 'wal'
        OR (p_source.wal_cut IS NOT NULL AND NOT pgtrickle._snapshot_covers(p_source.wal_loaded, p_source.wal_cut));
END
$$;

-- The sources of a stream table whose changes come (partly) from the journal.
CREATE OR REPLACE FUNCTION pgtrickle._journal_sources(p_pgt_id bigint) RETURNS SETOF pgtrickle.pgt_change_sources
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT cs.* FROM pgtrickle.pgt_dependencies d
    JOIN pgtrickle.pgt_change_sources cs USING (source_relid)
    WHERE d.pgt_id = p_pgt_id AND pgtrickle._needs_journal(cs)
    ORDER BY cs.source_relid
$$;

-- Whether this transaction sees every journal change a differential refresh of the stream table
-- needs: each journal source was loaded up to a snapshot covering the current one, and the
-- transaction keeps that snapshot (a READ COMMITTED statement later would see newer commits).
CREATE OR REPLACE FUNCTION pgtrickle._journal_loaded(p_pgt_id bigint) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN NOT EXISTS (
        SELECT 1 FROM pgtrickle._journal_sources(p_pgt_id) AS s
        WHERE current_setting('transaction_isolation') = 'read committed'
           OR NOT pgtrickle._snapshot_covers(s.wal_loaded, pg_current_snapshot()));
END
$$;

-- The capture mode each captured source should be in, and why: an operator's request first;
-- otherwise 'trigger' as soon as one stream table reading it asks for triggers (cdc_mode NULL
-- means the setting pgtrickle.cdc_mode; unset or not a mode: 'trigger'), 'wal' when all ask for
-- 'wal', or for 'auto' once populated.
CREATE OR REPLACE FUNCTION pgtrickle._cdc_targets(
    OUT source_relid oid, OUT cdc_mode text, OUT target text, OUT why text)
RETURNS SETOF record LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT cs.source_relid, cs.cdc_mode,
           coalesce(cs.cdc_request, CASE
               WHEN bool_or(m.mode = 'trigger') THEN 'trigger'
               WHEN bool_and(m.mode = 'wal' OR st.is_populated) THEN 'wal'
               ELSE 'trigger' END),
           CASE WHEN cs.cdc_request IS NOT NULL THEN 'requested by an operator'
                WHEN bool_or(m.mode = 'trigger') THEN 'a stream table reading it uses cdc_mode trigger'
                WHEN bool_and(m.mode = 'wal' OR st.is_populated) THEN 'its stream tables use cdc_mode wal or auto'
                ELSE 'cdc_mode auto graduates after the first refresh' END
    FROM pgtrickle.pgt_change_sources cs
    JOIN pgtrickle.pgt_dependencies d USING (source_relid)
    JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
    CROSS JOIN LATERAL (SELECT coalesce(st.cdc_mode, (
        SELECT v FROM lower(btrim(current_setting('pgtrickle.cdc_mode', true))) AS v
        WHERE v IN ('trigger', 'wal', 'auto')), 'trigger') AS mode) AS m
    GROUP BY cs.source_relid, cs.cdc_mode, cs.cdc_request;
END
$$;

-- Why a source cannot be captured from the WAL by the current role, or NULL when it can.
CREATE OR REPLACE FUNCTION pgtrickle._wal_ineligibility(p_source oid) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_rel record;
BEGIN
    IF current_setting('wal_level') <> 'logical' THEN
        RETURN format('wal_level is %s; WAL capture needs wal_level = logical (ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL)',
                      current_setting('wal_level'));
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND (rolreplication OR rolsuper)) THEN
        RETURN format('role %I has no REPLICATION privilege, which decoding the WAL needs (ALTER ROLE %I REPLICATION)',
                      current_user, current_user);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_replication_slots
                   WHERE slot_name = 'pgtrickle_' || (SELECT oid FROM pg_database WHERE datname = current_database()))
       AND (SELECT count(*) FROM pg_replication_slots) >= current_setting('max_replication_slots')::int THEN
        RETURN format('no free replication slot (max_replication_slots = %s, all in use)', current_setting('max_replication_slots'));
    END IF;
    SELECT c.relkind, c.relreplident, c.relowner::regrole AS owner, c.oid::regclass AS name INTO v_rel
    FROM pg_class c WHERE c.oid = p_source;
    IF NOT FOUND THEN
        RETURN format('relation %s does not exist', p_source);
    END IF;
    IF v_rel.relkind = 'r' AND EXISTS (SELECT 1 FROM pg_inherits WHERE inhparent = p_source) THEN
        RETURN format('table %s has inheritance children, whose changes the WAL reports under their own names; they stay on triggers', v_rel.name);
    END IF;
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = p_source AND attnum > 0 AND NOT attisdropped
               AND attgenerated <> '') THEN
        RETURN format('table %s has generated columns, which the WAL does not carry; it stays on triggers', v_rel.name);
    END IF;
    IF v_rel.relreplident = 'n' OR (v_rel.relreplident <> 'f' AND NOT pg_has_role(current_user, v_rel.owner, 'USAGE')) THEN
        RETURN format('table %s needs REPLICA IDENTITY FULL so that the WAL carries whole old rows (ALTER TABLE %s REPLICA IDENTITY FULL)',
                      v_rel.name, v_rel.name);
    END IF;
    IF NOT pg_has_role(current_user, v_rel.owner, 'USAGE') THEN
        RETURN format('role %I cannot add table %s to the publication: it must be a member of the table''s owner %s',
                      current_user, v_rel.name, v_rel.owner);
    END IF;
    RETURN NULL;
END
$$;

DROP FUNCTION IF EXISTS pgtrickle._drop_capture_triggers(oid);

-- After a graduation, deletes the trigger rows of transactions the cut does not see: the journal
-- has their changes (the triggers outlive the cut until their lock can be taken). Needed while
-- the triggers exist, and once in the transaction that drops them (which waits for their writers).
-- Returns nothing; only the catalog owner (the daemon) can write the buffers.
CREATE OR REPLACE FUNCTION pgtrickle._drop_trigger_rows_after_cut(p_source oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_source record;
BEGIN
    SELECT buffer_table, wal_cut INTO v_source FROM pgtrickle.pgt_change_sources
    WHERE source_relid = p_source AND cdc_mode = 'wal' AND wal_cut IS NOT NULL;
    IF FOUND THEN
        EXECUTE format('DELETE FROM pgtrickle_changes.%I WHERE __pgt_seq > 0 AND NOT pg_visible_in_snapshot(__pgt_xid, $1)',
                       v_source.buffer_table) USING v_source.wal_cut;
    END IF;
END
$$;

-- Whether the source still has capture triggers.
CREATE OR REPLACE FUNCTION pgtrickle._has_capture_triggers(p_source oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM pg_trigger
                   WHERE tgrelid = p_source AND tgname = 'pgtrickle_capture_insert')
$$;

-- Asks for a capture mode for a source table: 'wal', 'trigger', or NULL to follow the cdc_mode
-- of the stream tables that read it. The daemon makes the switch. Only the table's owner may.
CREATE OR REPLACE FUNCTION pgtrickle.set_cdc_mode(source regclass, mode text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_mode text := lower(btrim(mode));
BEGIN
    IF mode IS NOT NULL AND v_mode NOT IN ('wal', 'trigger', 'auto') THEN
        RAISE EXCEPTION 'unknown cdc mode "%": expected ''wal'', ''trigger'' or ''auto'' (follow the stream tables)', mode
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_change_sources WHERE source_relid = source) THEN
        RAISE EXCEPTION 'table % is not a source of any stream table', source
            USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT pg_has_role(session_user, (SELECT relowner FROM pg_class WHERE oid = source), 'USAGE') THEN
        RAISE EXCEPTION 'permission denied: only the owner of table % can change how its changes are captured', source
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE pgtrickle.pgt_change_sources
    SET cdc_request = nullif(v_mode, 'auto'), cdc_note = NULL
    WHERE source_relid = source;
    PERFORM pg_notify('pgtrickle_catalog',
        jsonb_build_object('event', 'cdc_mode_requested', 'source', source::text)::text);
END
$$;

-- One row per captured source: how its changes are captured now and what is pending.
-- journal_pending: after a fallback to triggers, the journal still owes changes of transactions
-- before the cut (a source captured from the WAL reads the journal anyway: not "pending").
CREATE OR REPLACE FUNCTION pgtrickle.cdc_status(
    OUT source text, OUT cdc_mode text, OUT target text, OUT why text, OUT triggers boolean,
    OUT journal_pending boolean, OUT note text, OUT relid oid)
RETURNS SETOF record LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT cs.source_relid::regclass::text, cs.cdc_mode, t.target, t.why,
           pgtrickle._has_capture_triggers(cs.source_relid),
           cs.cdc_mode = 'trigger' AND pgtrickle._needs_journal(cs), cs.cdc_note,
           cs.source_relid
    FROM pgtrickle.pgt_change_sources cs
    JOIN pgtrickle._cdc_targets() AS t USING (source_relid)
    ORDER BY 1;
END
$$;

-- Whether a pgtrickle daemon leads this database (see _leader_pid).
CREATE OR REPLACE FUNCTION pgtrickle.daemon_connected() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pgtrickle._leader_pid() IS NOT NULL
$$;

-- health_check rows about WAL capture: the slot (invalidated, or retaining more WAL than
-- pgtrickle.wal_retained_warning, default 1GB, names the sources holding it back), and switches
-- that wait or cannot happen.
CREATE OR REPLACE FUNCTION pgtrickle._wal_health()
RETURNS TABLE (check_name text, severity text, detail text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_slot record;
    v_limit bigint;
    v_laggards text;
BEGIN
    SELECT s.slot_name, s.wal_status, pg_wal_lsn_diff(pg_current_wal_lsn(), s.restart_lsn)::bigint AS retained
    INTO v_slot FROM pg_replication_slots s
    WHERE s.slot_name = 'pgtrickle_' || (SELECT oid FROM pg_database WHERE datname = current_database());
    BEGIN
        v_limit := pg_size_bytes(coalesce(nullif(current_setting('pgtrickle.wal_retained_warning', true), ''), '1GB'));
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION 'invalid value for setting pgtrickle.wal_retained_warning: "%"',
            current_setting('pgtrickle.wal_retained_warning', true)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'A size such as ''512MB'' or ''2GB''.';
    END;
    SELECT string_agg(format('%s (journal read from %s; read by %s)', cs.source_relid::regclass, cs.wal_loaded_lsn,
                             (SELECT string_agg(pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name), ', ')
                              FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
                              WHERE d.source_relid = cs.source_relid)), '; ' ORDER BY cs.wal_loaded_lsn)
    INTO v_laggards
    FROM (SELECT * FROM pgtrickle.pgt_change_sources c WHERE pgtrickle._needs_journal(c)
          ORDER BY c.wal_loaded_lsn LIMIT 3) AS cs;
    IF v_slot IS NULL THEN
        RETURN QUERY SELECT 'wal_slot'::text,
            CASE WHEN EXISTS (SELECT 1 FROM pgtrickle.pgt_change_sources c WHERE pgtrickle._needs_journal(c))
                 THEN 'ERROR' ELSE 'OK' END,
            CASE WHEN EXISTS (SELECT 1 FROM pgtrickle.pgt_change_sources c WHERE pgtrickle._needs_journal(c))
                 THEN 'the replication slot is missing while tables are captured from the WAL: the daemon falls back to triggers and recomputes'
                 ELSE 'no replication slot (no table is captured from the WAL)' END;
    ELSIF v_slot.wal_status = 'lost' THEN
        RETURN QUERY SELECT 'wal_slot'::text, 'ERROR'::text,
            format('replication slot %s was invalidated (wal_status lost): the daemon falls back to triggers and recomputes', v_slot.slot_name);
    ELSIF v_slot.retained > v_limit OR v_slot.wal_status = 'unreserved' THEN
        RETURN QUERY SELECT 'wal_slot'::text, 'WARNING'::text,
            format('replication slot %s retains %s of WAL (wal_status %s); held back by: %s', v_slot.slot_name,
                   pg_size_pretty(v_slot.retained), v_slot.wal_status, coalesce(v_laggards, 'the decoder (is the daemon running?)'));
    ELSE
        RETURN QUERY SELECT 'wal_slot'::text, 'OK'::text,
            format('replication slot %s retains %s of WAL', v_slot.slot_name, pg_size_pretty(v_slot.retained));
    END IF;

    RETURN QUERY
    SELECT 'cdc_switch'::text, 'WARNING'::text, format('%s: %s capture wanted (%s), still %s: %s',
           s.source, s.target, s.why, s.cdc_mode, s.note)
    FROM pgtrickle.cdc_status() s
    WHERE s.cdc_mode <> s.target AND s.note IS NOT NULL
    ORDER BY 3;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'cdc_switch'::text, 'OK'::text, 'every source is captured as wanted, or on its way'::text;
    END IF;
END
$$;

-- Catalog owner part of a delegated refresh: asks the daemon, through a non-transactional logical
-- message its decoder sees at once, to refresh a stream table the caller may refresh. Returns the
-- moment before asking.
CREATE OR REPLACE FUNCTION pgtrickle._request_refresh(p_pgt_id bigint) RETURNS timestamptz
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_asked timestamptz := clock_timestamp();
    v_relid oid := (SELECT pgt_relid FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id);
BEGIN
    IF v_relid IS NULL OR NOT has_table_privilege(session_user, v_relid, 'UPDATE') THEN
        RAISE EXCEPTION 'permission denied for stream table %', v_relid::regclass
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The server sends only flushed WAL: flushed at once where PostgreSQL can (17+), else with the
    -- next commit or the daemon's heartbeat.
    IF current_setting('server_version_num')::int >= 170000 THEN
        EXECUTE 'SELECT pg_logical_emit_message(false, $1, $2, true)' USING 'pgtrickle.refresh', p_pgt_id::text;
    ELSE
        PERFORM pg_logical_emit_message(false, 'pgtrickle.refresh', p_pgt_id::text);
    END IF;
    RETURN v_asked;
END
$$;

-- A refresh from SQL of a stream table reading WAL-captured sources, done by the daemon: at READ
-- COMMITTED (each statement here sees the daemon's commits) with a daemon leading, asks it and
-- waits (setting pgtrickle.delegate_timeout, default 30s) until the contents are current as of a
-- moment after the request, or its refresh failed (raised here). False when it cannot delegate
-- or the daemon did not answer in time: the caller refreshes FULL itself.
CREATE OR REPLACE FUNCTION pgtrickle._delegated_refresh(p_st pgtrickle.pgt_stream_tables) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_timeout interval;
    v_asked timestamptz;
    v_deadline timestamptz;
    v_failure text;
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' OR NOT pgtrickle.daemon_connected() THEN
        RETURN false;
    END IF;
    BEGIN
        v_timeout := coalesce(nullif(current_setting('pgtrickle.delegate_timeout', true), ''), '30s')::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR syntax_error THEN
        RAISE EXCEPTION 'invalid value for setting pgtrickle.delegate_timeout: "%"',
            current_setting('pgtrickle.delegate_timeout', true)
            USING ERRCODE = 'invalid_parameter_value', HINT = 'An interval such as ''30s'' or ''2min''.';
    END;
    v_asked := pgtrickle._request_refresh(p_st.pgt_id);
    v_deadline := v_asked + v_timeout;
    LOOP
        IF EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables
                   WHERE pgt_id = p_st.pgt_id AND data_timestamp >= v_asked) THEN
            RAISE NOTICE 'stream table % was refreshed by the pgtrickle daemon, which reads the WAL-captured sources',
                p_st.pgt_relid::regclass;
            RETURN true;
        END IF;
        SELECT error_message INTO v_failure FROM pgtrickle.pgt_refresh_history
        WHERE pgt_id = p_st.pgt_id AND status = 'FAILED' AND start_time >= v_asked
        ORDER BY refresh_id DESC LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'the pgtrickle daemon''s refresh of % failed: %', p_st.pgt_relid::regclass, v_failure
                USING ERRCODE = 'object_not_in_prerequisite_state';
        END IF;
        EXIT WHEN clock_timestamp() > v_deadline;
        PERFORM pg_sleep(0.02);
    END LOOP;
    RAISE NOTICE 'the pgtrickle daemon did not refresh % within %', p_st.pgt_relid::regclass, v_timeout;
    RETURN false;
END
$$;
