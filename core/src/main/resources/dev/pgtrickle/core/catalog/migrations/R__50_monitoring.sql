-- Monitoring.

-- The latest refresh of a stream table that fell back to FULL, if any: when it ended and why;
-- recent says how many did within the last hour (NULL when none did), in the words health_check
-- and the daemon's /health use. (PL/pgSQL: its body is checked when it runs, so that installing
-- an older catalog version, whose history has no fallback column, still creates it.)
CREATE OR REPLACE FUNCTION pgtrickle._last_fallback(
    p_pgt_id bigint, OUT end_time timestamptz, OUT reason text, OUT recent text)
RETURNS SETOF record LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT h.end_time, h.reason,
           CASE WHEN n.last_hour > 0
                THEN format('%s refresh(es) fell back to FULL within the last hour, the latest at %s: %s',
                            n.last_hour, date_trunc('second', h.end_time), h.reason) END
    FROM pgtrickle.pgt_refresh_history h,
         LATERAL (SELECT count(*) AS last_hour FROM pgtrickle.pgt_refresh_history r
                  WHERE r.pgt_id = p_pgt_id AND r.fallback
                    AND r.end_time > clock_timestamp() - interval '1 hour') n
    WHERE h.pgt_id = p_pgt_id AND h.fallback
    ORDER BY h.refresh_id DESC
    LIMIT 1;
END
$$;

-- One row per stream table. The first eight columns are the ones users know from the reference
-- system; effective_mode and mode_reason tell how refresh really runs and why; last_fallback_at
-- and last_fallback_reason tell when and why a refresh that should have been differential was
-- last redone FULL. (Dropped first: the result gained the fallback columns.)
DROP FUNCTION IF EXISTS pgtrickle.pgt_status();
CREATE OR REPLACE FUNCTION pgtrickle.pgt_status()
RETURNS TABLE (
    name text, status text, refresh_mode text, schedule text, data_timestamp timestamptz,
    staleness interval, consecutive_errors integer, last_error text,
    effective_mode text, mode_reason text, tier text, is_populated boolean,
    last_fallback_at timestamptz, last_fallback_reason text, publication text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name),
           CASE WHEN c.oid IS NULL THEN 'ERROR' ELSE st.status END,
           st.refresh_mode, CASE WHEN st.refresh_mode = 'IMMEDIATE' THEN 'IMMEDIATE' ELSE st.schedule END,
           st.data_timestamp,
           CASE WHEN st.refresh_mode = 'IMMEDIATE' THEN interval '0' ELSE clock_timestamp() - st.data_timestamp END,
           st.consecutive_errors,
           CASE WHEN c.oid IS NULL THEN 'storage table was dropped' ELSE st.last_error END,
           st.effective_mode, st.mode_reason, st.tier, st.is_populated,
           fb.end_time, fb.reason,
           -- Every publication the storage table is in, whoever added it there.
           (SELECT string_agg(p.pubname::text, ', ' ORDER BY p.pubname) FROM pg_publication_rel r
            JOIN pg_publication p ON p.oid = r.prpubid WHERE r.prrelid = st.pgt_relid)
    FROM pgtrickle.pgt_stream_tables st
    LEFT JOIN pg_class c ON c.oid = st.pgt_relid
    LEFT JOIN LATERAL pgtrickle._last_fallback(st.pgt_id) fb ON true
    ORDER BY 1
$$;

-- How the writers of an IMMEDIATE stream table's sources wait for each other, in words
-- (docs/differential-refresh.md, "IMMEDIATE mode").
CREATE OR REPLACE FUNCTION pgtrickle._immediate_writers(p_plan jsonb) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH s AS (SELECT e.value AS st FROM jsonb_array_elements(coalesce(p_plan -> 'immediate', '[]')) AS e)
    SELECT CASE
        WHEN p_plan ->> 'immediate_refusal' IS NOT NULL OR NOT EXISTS (SELECT FROM s) THEN
            'each statement recomputes the stream table'
        WHEN p_plan ->> 'immediate_serialization' IS NOT NULL THEN
            'take turns (' || (p_plan ->> 'immediate_serialization') || ')'
        WHEN EXISTS (SELECT FROM s WHERE st ->> 'turn' IS NOT NULL) THEN
            format('those of %s go on side by side; those of %s take turns with them and with each other',
                   (SELECT string_agg(DISTINCT (st ->> 'source')::oid::regclass::text, ', ') FROM s WHERE st ->> 'turn' = 'shared'),
                   (SELECT string_agg(DISTINCT (st ->> 'source')::oid::regclass::text, ', ') FROM s WHERE st ->> 'turn' = 'exclusive'))
        WHEN EXISTS (SELECT FROM s WHERE st ->> 'boundary' IS NOT NULL) THEN
            'those whose changes reach the first rows take turns; the others go on side by side'
        ELSE 'go on side by side; those whose changes meet (in a stored row, a group or a join key) wait for each other'
    END
$$;

-- How a stream table is refreshed: mode and reason, the operator tree with the strategy of each
-- operator, the hidden columns, and the generated SQL. `pgtrickle explain` prints the same lines.
CREATE OR REPLACE FUNCTION pgtrickle.explain_stream_table(name text) RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    v_line jsonb;
BEGIN
    RETURN NEXT format('stream table %s', pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name));
    -- Reasons end in "refreshed FULL" where they stand alone (history, pgt_status); said once here.
    RETURN NEXT format('refresh mode: %s, refreshed %s%s', v_st.refresh_mode, v_st.effective_mode,
                       coalesce(' (' || regexp_replace(v_st.mode_reason, '[:;] refreshed FULL$', '') || ')', ''));
    IF v_st.status <> 'ACTIVE' THEN
        RETURN NEXT format('status: %s%s', v_st.status, coalesce(' (' || v_st.last_error || ')', ''));
    END IF;
    RETURN NEXT format('compile status: %s', v_st.compile_status);
    RETURN NEXT 'defining query:';
    RETURN NEXT '  ' || replace(v_st.normalized_query, E'\n', E'\n  ');
    IF v_st.plan IS NULL THEN
        RETURN;
    END IF;
    RETURN NEXT format('strategy: %s', v_st.plan ->> 'strategy');
    IF v_st.refresh_mode = 'IMMEDIATE' THEN
        RETURN NEXT 'concurrent writers: ' || pgtrickle._immediate_writers(v_st.plan);
    END IF;
    RETURN NEXT 'operators:';
    FOR v_line IN SELECT * FROM jsonb_array_elements(v_st.plan -> 'operators') LOOP
        RETURN NEXT repeat('  ', (v_line ->> 'depth')::int + 1) || (v_line ->> 'operator');
        RETURN NEXT repeat('  ', (v_line ->> 'depth')::int + 2) || '-> ' || (v_line ->> 'strategy');
    END LOOP;
    RETURN NEXT format('hidden columns: %s',
        (SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(v_st.plan -> 'hidden_columns') AS c));
    RETURN NEXT format('row identity: %s',
        (SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(v_st.plan -> 'identity_columns') AS c));
    FOR v_line IN SELECT * FROM jsonb_array_elements(coalesce(v_st.plan -> 'kept_states', '[]')) LOOP
        RETURN NEXT format('kept state %s%s: %s', pgtrickle._plan_statement(v_st, v_line ->> 'table'),
            (SELECT ' (also indexed on ' || string_agg(c, ', ') || ')'
             FROM (SELECT jsonb_array_elements_text(coalesce(v_line -> 'indexed', '[]')) AS c
                   UNION ALL
                   SELECT 'the value of ' || jsonb_array_elements_text(coalesce(v_line -> 'indexed_sums', '[]'))) AS i),
            v_line ->> 'fill');
    END LOOP;
    RETURN NEXT 'populate SQL:';
    RETURN NEXT '  ' || (v_st.plan ->> 'populate');
    RETURN NEXT 'refresh SQL ($1 = previous frontier):';
    RETURN NEXT '  ' || replace(v_st.plan ->> 'refresh', E'\n', E'\n  ');
END
$$;

-- Rows in one change buffer. The buffers are readable only by the catalog owner, so this helper
-- runs as that owner; it returns a count and nothing of the buffer's contents. NULL when the
-- source has no buffer.
CREATE OR REPLACE FUNCTION pgtrickle._buffer_row_count(p_source oid) RETURNS bigint
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_buffer name;
    v_count bigint;
BEGIN
    SELECT cs.buffer_table INTO v_buffer
    FROM pgtrickle.pgt_change_sources cs
    JOIN pg_class c ON c.relname = cs.buffer_table
    JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'pgtrickle_changes'
    WHERE cs.source_relid = p_source;
    IF v_buffer IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT count(*) FROM pgtrickle_changes.%I', v_buffer) INTO v_count;
    RETURN v_count;
END
$$;

-- One row per change buffer: its source table, pending rows, size on disk, and how many stream
-- tables read it.
CREATE OR REPLACE FUNCTION pgtrickle.change_buffer_sizes()
RETURNS TABLE (source text, buffer text, pending_rows bigint, bytes bigint, consumers integer)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pgtrickle._current_name(cs.source_relid, cs.source_schema, cs.source_name),
           'pgtrickle_changes.' || cs.buffer_table,
           pgtrickle._buffer_row_count(cs.source_relid),
           CASE WHEN bc.oid IS NOT NULL THEN pg_total_relation_size(bc.oid) END,
           (SELECT count(*)::integer FROM pgtrickle.pgt_dependencies d
            WHERE d.source_relid = cs.source_relid)
    FROM pgtrickle.pgt_change_sources cs
    LEFT JOIN (pg_class bc JOIN pg_namespace bn
               ON bn.oid = bc.relnamespace AND bn.nspname = 'pgtrickle_changes')
        ON bc.relname = cs.buffer_table
    ORDER BY 1
$$;

-- Every (stream table, direct source) edge. depth is the stream table's longest chain of stream
-- tables below it: 0 when it reads only base tables.
CREATE OR REPLACE FUNCTION pgtrickle.dependency_tree()
RETURNS TABLE (stream_table text, source text, source_kind text, depth integer)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH RECURSIVE chain (pgt_id, below_id, len) AS (
        SELECT st.pgt_id, st.pgt_id, 0 FROM pgtrickle.pgt_stream_tables st
        UNION ALL
        SELECT ch.pgt_id, below.pgt_id, ch.len + 1
        FROM chain ch
        JOIN pgtrickle.pgt_dependencies d
            ON d.pgt_id = ch.below_id AND d.source_kind = 'STREAM_TABLE'
        JOIN pgtrickle.pgt_stream_tables below ON below.pgt_relid = d.source_relid
        WHERE ch.len < 1000  -- cycles are refused at creation; this only bounds a broken catalog
    ),
    depths AS (SELECT pgt_id, max(len) AS depth FROM chain GROUP BY pgt_id)
    SELECT pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name),
           pgtrickle._current_name(d.source_relid, d.source_schema, d.source_name),
           d.source_kind,
           dp.depth
    FROM pgtrickle.pgt_dependencies d
    JOIN pgtrickle.pgt_stream_tables st ON st.pgt_id = d.pgt_id
    JOIN depths dp ON dp.pgt_id = d.pgt_id
    ORDER BY 4, 1, 2
$$;

-- The n most recent refreshes of all stream tables, newest first. (Dropped first: the result
-- gained the reason column.)
DROP FUNCTION IF EXISTS pgtrickle.refresh_timeline(integer);
CREATE OR REPLACE FUNCTION pgtrickle.refresh_timeline(n integer DEFAULT 20)
RETURNS TABLE (
    stream_table text, start_time timestamptz, end_time timestamptz, duration interval,
    action text, status text, rows_inserted bigint, rows_updated bigint, rows_deleted bigint,
    changes_consumed bigint, initiated_by text, error_message text, reason text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF n IS NULL OR n <= 0 THEN
        RAISE EXCEPTION 'refresh_timeline: n must be a positive number of rows, got %', coalesce(n::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name),
           h.start_time, h.end_time, h.end_time - h.start_time,
           h.action, h.status, h.rows_inserted, h.rows_updated, h.rows_deleted,
           h.changes_consumed, h.initiated_by, h.error_message, h.reason
    FROM pgtrickle.pgt_refresh_history h
    JOIN pgtrickle.pgt_stream_tables st ON st.pgt_id = h.pgt_id
    ORDER BY h.start_time DESC, h.refresh_id DESC
    LIMIT n;
END
$$;

-- Refresh statistics per stream table, from the refresh history. full_refreshes and
-- differential_refreshes count completed refreshes (REINITIALIZE counts as full);
-- last_refresh_at is the end of the last completed refresh.
CREATE OR REPLACE VIEW pgtrickle.pg_stat_stream_tables AS
SELECT pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name) AS pgt_name,
       count(h.refresh_id) AS total_refreshes,
       count(h.refresh_id) FILTER (WHERE h.status = 'COMPLETED') AS successful_refreshes,
       count(h.refresh_id) FILTER (WHERE h.status = 'FAILED') AS failed_refreshes,
       count(h.refresh_id) FILTER (WHERE h.status = 'COMPLETED' AND h.action = 'DIFFERENTIAL')
           AS differential_refreshes,
       count(h.refresh_id) FILTER (WHERE h.status = 'COMPLETED' AND h.action IN ('FULL', 'REINITIALIZE'))
           AS full_refreshes,
       round(avg((extract(epoch FROM h.end_time - h.start_time) * 1000)::numeric)
                 FILTER (WHERE h.status = 'COMPLETED'), 3) AS avg_duration_ms,
       max(h.end_time) FILTER (WHERE h.status = 'COMPLETED') AS last_refresh_at,
       clock_timestamp() - st.data_timestamp AS staleness
FROM pgtrickle.pgt_stream_tables st
LEFT JOIN pgtrickle.pgt_refresh_history h ON h.pgt_id = st.pgt_id
GROUP BY st.pgt_id, st.pgt_relid, st.pgt_schema, st.pgt_name, st.data_timestamp;

GRANT SELECT ON pgtrickle.pg_stat_stream_tables TO PUBLIC;

-- Problems worth a look, one row per finding; a check that finds nothing reports one OK row.
CREATE OR REPLACE FUNCTION pgtrickle.health_check()
RETURNS TABLE (check_name text, severity text, detail text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT 'stream_table_errors'::text, 'ERROR'::text,
           CASE WHEN c.oid IS NULL
                THEN format('%s: storage table was dropped (remove it with pgtrickle.drop_stream_table())',
                            st.pgt_schema || '.' || st.pgt_name)
                ELSE format('%s: status ERROR%s', pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name),
                            coalesce(' (' || st.last_error || ')', ''))
           END
    FROM pgtrickle.pgt_stream_tables st
    LEFT JOIN pg_class c ON c.oid = st.pgt_relid
    WHERE st.status = 'ERROR' OR c.oid IS NULL
    ORDER BY 3;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'stream_table_errors'::text, 'OK'::text,
                            'no stream table in ERROR status or without storage table'::text;
    END IF;

    RETURN QUERY
    SELECT 'consecutive_errors'::text, 'WARNING'::text,
           format('%s: %s consecutive failed refresh(es), last error: %s',
                  pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name),
                  st.consecutive_errors, coalesce(st.last_error, '(none recorded)'))
    FROM pgtrickle.pgt_stream_tables st
    WHERE st.consecutive_errors > 0
    ORDER BY 3;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'consecutive_errors'::text, 'OK'::text, 'no failing refreshes'::text;
    END IF;

    RETURN QUERY
    SELECT 'never_populated'::text, 'WARNING'::text,
           format('%s: never populated (refresh it with pgtrickle.refresh_stream_table())',
                  pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name))
    FROM pgtrickle.pgt_stream_tables st
    WHERE NOT st.is_populated
    ORDER BY 3;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'never_populated'::text, 'OK'::text, 'every stream table is populated'::text;
    END IF;

    RETURN QUERY
    SELECT 'pending_compile'::text, 'WARNING'::text,
           format('%s: refreshed FULL until compiled; %s',
                  pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name),
                  CASE WHEN st.status = 'SUSPENDED' THEN 'suspended tables are compiled once resumed'
                       WHEN st.compile_error IS NOT NULL AND pgtrickle.daemon_connected()
                       THEN format('the last compile failed (%s); the daemon retries', st.compile_error)
                       WHEN st.compile_error IS NOT NULL
                       THEN format('the last compile failed (%s); run pgtrickle compile %s', st.compile_error,
                                   pgtrickle._display_name(st.pgt_schema, st.pgt_name))
                       WHEN pgtrickle.daemon_connected() THEN 'the daemon compiles it shortly'
                       ELSE 'no daemon is running: run pgtrickle compile --pending' END)
    FROM pgtrickle.pgt_stream_tables st
    WHERE st.compile_status = 'PENDING' AND st.refresh_mode <> 'FULL' AND st.status <> 'ERROR'
    ORDER BY 3;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'pending_compile'::text, 'OK'::text, 'no stream table waits for the compiler'::text;
    END IF;

    RETURN QUERY
    SELECT 'differential_fallbacks'::text, 'WARNING'::text,
           pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name) || ': ' || fb.recent
    FROM pgtrickle.pgt_stream_tables st
    JOIN LATERAL pgtrickle._last_fallback(st.pgt_id) fb ON fb.recent IS NOT NULL
    ORDER BY 3;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'differential_fallbacks'::text, 'OK'::text,
                            'no refresh fell back to FULL within the last hour'::text;
    END IF;

    -- The daemon: running, and with the rights it needs (see docs/operations.md).
    RETURN QUERY SELECT 'daemon'::text, m.severity, m.detail FROM pgtrickle._daemon_findings() AS m ORDER BY 2;

    RETURN QUERY
    SELECT 'change_buffer_backlog'::text, 'WARNING'::text,
           format('%s: %s pending rows for %s (refresh the stream tables reading it)',
                  b.buffer, b.pending_rows, b.source)
    FROM pgtrickle.change_buffer_sizes() b
    WHERE b.pending_rows > 1000000
    ORDER BY 3;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'change_buffer_backlog'::text, 'OK'::text,
                            'no change buffer holds more than 1000000 pending rows'::text;
    END IF;

    -- Deleted rows every read of a buffer scans until a VACUUM (the daemon vacuums at 10,000).
    RETURN QUERY
    SELECT 'change_buffer_bloat'::text, 'WARNING'::text,
           format('%s: %s deleted rows not vacuumed yet, which every refresh reading it scans (the daemon'
                  ' vacuums change buffers when it runs with the catalog owner''s rights)',
                  c.relname, pg_stat_get_dead_tuples(c.oid))
    FROM pgtrickle.pgt_change_sources cs
    JOIN pg_class c ON c.relname = cs.buffer_table AND c.relnamespace = 'pgtrickle_changes'::regnamespace
    WHERE pg_stat_get_dead_tuples(c.oid) >= 100000
    ORDER BY 3;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'change_buffer_bloat'::text, 'OK'::text,
                            'no change buffer holds 100000 deleted rows'::text;
    END IF;

    RETURN QUERY SELECT 'refresh_history'::text, h.severity, h.detail FROM pgtrickle._history_health() AS h;

    -- Atomic diamonds that read sources captured from the WAL are refreshed one table at a time
    -- (loading the journal takes a transaction per table): said only when it happens.
    RETURN QUERY
    SELECT 'diamond_consistency'::text, 'WARNING'::text,
           format('%s: diamond_consistency => ''atomic'', but it or a stream table it reads reads sources captured from'
                  ' the WAL: they are refreshed one table at a time, not together',
                  pgtrickle._current_name(d.pgt_relid, d.pgt_schema, d.pgt_name))
    FROM pgtrickle.pgt_stream_tables d
    WHERE d.diamond_consistency = 'atomic'
      AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies dep
                  JOIN pgtrickle.pgt_change_sources cs ON cs.source_relid = dep.source_relid
                  WHERE cs.cdc_mode = 'wal'
                    AND (dep.pgt_id = d.pgt_id
                         OR dep.pgt_id IN (SELECT up.pgt_id FROM pgtrickle.pgt_dependencies dd
                                           JOIN pgtrickle.pgt_stream_tables up ON up.pgt_relid = dd.source_relid
                                           WHERE dd.pgt_id = d.pgt_id)))
    ORDER BY 3;

    -- WAL capture (see R__70_wal.sql): the slot, and the sources holding it back.
    RETURN QUERY SELECT * FROM pgtrickle._wal_health();
END
$$;

-- The session of the leading daemon, or NULL when none leads: it holds the session advisory lock
-- with key 0x7067747269636b6c ("pgtrickl"), which pg_locks shows as two 32-bit halves.
CREATE OR REPLACE FUNCTION pgtrickle._leader_pid() RETURNS integer
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT l.pid FROM pg_locks l
    WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
      AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      AND l.classid = 1885828210::oid AND l.objid = 1768123244::oid
    LIMIT 1
$$;

-- The role the leading daemon's session logged in as, or NULL when no daemon leads.
CREATE OR REPLACE FUNCTION pgtrickle._daemon_role() RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT a.usename FROM pg_stat_activity a WHERE a.pid = pgtrickle._leader_pid()
$$;

-- Whether p_member may SET ROLE to p_role (PostgreSQL 16 made that an option of membership).
CREATE OR REPLACE FUNCTION pgtrickle._may_set_role(p_member name, p_role oid) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF current_setting('server_version_num')::int >= 160000 THEN
        RETURN pg_has_role(p_member, p_role, 'SET');
    END IF;
    RETURN pg_has_role(p_member, p_role, 'MEMBER');
END
$$;

-- The grants a daemon running as p_role lacks, each with the statement that gives it:
--   the catalog owner's rights (it records refresh and compile outcomes, upgrades the catalog,
--   loads the journal into the buffers);
--   SET ROLE to the owner of every stream table (refreshes and compiles run as the owner);
--   for sources to be captured from the WAL: REPLICATION, and membership in the source's owner
--   (publication and REPLICA IDENTITY).
CREATE OR REPLACE FUNCTION pgtrickle._missing_daemon_grants(p_role name) RETURNS SETOF text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_catalog_owner oid := (SELECT nspowner FROM pg_namespace WHERE nspname = 'pgtrickle');
    v_finding record;
BEGIN
    IF NOT pg_has_role(p_role, v_catalog_owner, 'USAGE') THEN
        RETURN NEXT format('role %s lacks the rights of the catalog owner %s, so it cannot record refresh and compile outcomes: GRANT %s TO %s',
                           quote_ident(p_role), v_catalog_owner::regrole, v_catalog_owner::regrole, quote_ident(p_role));
    END IF;
    FOR v_finding IN
        SELECT c.relowner, string_agg(pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name), ', '
                                      ORDER BY st.pgt_id) AS tables
        FROM pgtrickle.pgt_stream_tables st JOIN pg_class c ON c.oid = st.pgt_relid
        WHERE NOT pgtrickle._may_set_role(p_role, c.relowner)
        GROUP BY c.relowner
    LOOP
        RETURN NEXT format('role %s cannot act as %s, the owner of %s, so it cannot refresh or compile them: GRANT %s TO %s',
                           quote_ident(p_role), v_finding.relowner::regrole, v_finding.tables,
                           v_finding.relowner::regrole, quote_ident(p_role));
    END LOOP;
    IF EXISTS (SELECT 1 FROM pgtrickle._cdc_targets() t WHERE t.target = 'wal')
       AND NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = p_role AND (rolreplication OR rolsuper)) THEN
        RETURN NEXT format('role %s has no REPLICATION privilege, which capturing changes from the WAL needs: ALTER ROLE %s REPLICATION',
                           quote_ident(p_role), quote_ident(p_role));
    END IF;
    FOR v_finding IN
        SELECT c.relowner, string_agg(c.oid::regclass::text, ', ' ORDER BY c.oid) AS tables
        FROM pgtrickle._cdc_targets() t JOIN pg_class c ON c.oid = t.source_relid
        WHERE t.target = 'wal' AND NOT pg_has_role(p_role, c.relowner, 'USAGE')
        GROUP BY c.relowner
    LOOP
        RETURN NEXT format('role %s is not a member of %s, the owner of %s, which capturing them from the WAL needs: GRANT %s TO %s',
                           quote_ident(p_role), v_finding.relowner::regrole, v_finding.tables,
                           v_finding.relowner::regrole, quote_ident(p_role));
    END LOOP;
END
$$;

-- health_check rows about the daemon: none leading while stream tables wait for schedules, or
-- one lacking rights (each missing grant an ERROR naming the statement that gives it).
CREATE OR REPLACE FUNCTION pgtrickle._daemon_findings(OUT severity text, OUT detail text)
RETURNS SETOF record LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_role name := pgtrickle._daemon_role();
BEGIN
    IF v_role IS NULL THEN
        severity := CASE WHEN EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables
                                      WHERE status = 'ACTIVE' AND tier <> 'frozen') THEN 'WARNING' ELSE 'OK' END;
        detail := 'no pgtrickle daemon serves this database: stream tables are refreshed only on request (run pgtrickle serve)';
        RETURN NEXT;
        RETURN;
    END IF;
    severity := 'ERROR';
    FOR detail IN SELECT * FROM pgtrickle._missing_daemon_grants(v_role) LOOP
        RETURN NEXT;
    END LOOP;
    IF NOT FOUND THEN
        severity := 'OK';
        detail := format('a daemon serves this database as role %s, with the rights it needs', quote_ident(v_role));
        RETURN NEXT;
    END IF;
    -- A drain (pgtrickle.drain()) stops scheduled refreshes on purpose, but stream tables go stale.
    SELECT 'WARNING', format('drained since %s (pgtrickle.drain()): no refresh starts until pgtrickle.undrain()',
                             i.drain_requested_at)
    INTO severity, detail
    FROM pgtrickle.pgt_instance i WHERE i.drain_requested_at IS NOT NULL;
    IF FOUND THEN
        RETURN NEXT;
    END IF;
END
$$;

-- Whether the refresh history is pruned (see prune_history): rows twice as old as the retention
-- that pruning would delete mean it does not run.
CREATE OR REPLACE FUNCTION pgtrickle._history_health(OUT severity text, OUT detail text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_retention interval;
    v_stale bigint;
BEGIN
    BEGIN
        v_retention := pgtrickle._history_retention();
    EXCEPTION WHEN invalid_parameter_value THEN
        severity := 'WARNING';
        detail := SQLERRM || ': the refresh history is not pruned';
        RETURN;
    END;
    SELECT count(*) INTO v_stale FROM pgtrickle._prunable_history(now() - 2 * v_retention, 1000000);
    IF v_stale > 0 THEN
        severity := 'WARNING';
        detail := format('%s%s refresh history rows are older than twice pgtrickle.history_retention (%s): pruning does'
                         ' not run (the daemon prunes with the catalog owner''s rights; otherwise call'
                         ' pgtrickle.prune_history())', v_stale, CASE WHEN v_stale >= 1000000 THEN '+' ELSE '' END, v_retention);
    ELSE
        severity := 'OK';
        detail := format('the refresh history is kept for %s', v_retention);
    END IF;
END
$$;
