-- Support for refreshes (the daemon's and explicit ones): their cheap path when nothing changed.

-- Claims a stream table for a refresh, as _claimed does (the caller holds the locks of
-- _take_locks), and with p_check first asks _mark_fresh_if_unchanged whether its contents are
-- current: then they are marked so and the result is NULL (its pgt_id NULL), else the claimed
-- row. One catalog-owner call for both, so that the refresh's lock is checked once, not twice.
DROP FUNCTION IF EXISTS pgtrickle._skip_if_unchanged(bigint);
CREATE OR REPLACE FUNCTION pgtrickle._claimed_unless_fresh(
    p_pgt_id bigint, p_check boolean, p_initiated_by text, p_start timestamptz)
RETURNS pgtrickle.pgt_stream_tables
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._claimed(p_pgt_id);
BEGIN
    IF p_check AND pgtrickle._mark_fresh_if_unchanged(v_st, p_initiated_by, p_start) THEN
        RETURN NULL;
    END IF;
    RETURN v_st;
END
$$;

-- Whether no source change is waiting beyond the frontier of p_st (claimed by the caller, which
-- runs it as the catalog owner: the buffers are readable by the catalog owner only). Then the
-- contents are current as of this statement and only data_timestamp moves; with p_initiated_by
-- (an explicit refresh, which is answered and its answer recorded) also a NO_DATA history row and
-- a refresh_completed event. The daemon passes NULL: a quiet table checked every second would
-- only grow the history.
DROP FUNCTION IF EXISTS pgtrickle._mark_fresh_if_unchanged(bigint);
DROP FUNCTION IF EXISTS pgtrickle._mark_fresh_if_unchanged(bigint, text, timestamptz);
CREATE OR REPLACE FUNCTION pgtrickle._mark_fresh_if_unchanged(
    p_st pgtrickle.pgt_stream_tables, p_initiated_by text, p_start timestamptz) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_buffer name;
    v_pending boolean;
    v_refresh_id bigint;
    v_unstable text[];
BEGIN
    -- (A table in ERROR, e.g. with a dropped source, is not current whatever its buffers say.)
    IF p_st.frontier IS NULL OR NOT p_st.is_populated OR p_st.status = 'ERROR' THEN
        RETURN false;
    END IF;
    -- A query calling random(), clock_timestamp() and the like changes without any source change;
    -- one comparing columns with the clock changes when a row's time to enter or leave comes.
    v_unstable := coalesce(p_st.unstable_functions, pgtrickle._unstable_functions(
            to_regclass(format('pgtrickle.%I', p_st.definition_view))));
    IF cardinality(pgtrickle._beyond_clock(v_unstable)) > 0
       OR (cardinality(v_unstable) > 0 AND NOT pgtrickle._clock_settled(p_st)) THEN
        RETURN false;
    END IF;
    -- Smallest buffers first: one pending change anywhere answers, and a large buffer holding
    -- rows other readers have not consumed yet is scanned up to its first pending row.
    FOR v_buffer IN
        SELECT cs.buffer_table FROM pgtrickle.pgt_dependencies d
        JOIN pgtrickle.pgt_change_sources cs USING (source_relid)
        LEFT JOIN pg_class b ON b.oid = to_regclass(format('pgtrickle_changes.%I', cs.buffer_table))
        WHERE d.pgt_id = p_st.pgt_id
        ORDER BY b.relpages, cs.buffer_table
    LOOP
        EXECUTE format('SELECT pgtrickle_changes.%I($1, $2, $3)', v_buffer || '_pending')
        INTO v_pending USING p_st.frontier, p_st.frontier_own_xid, p_st.frontier_own_seq;
        IF v_pending THEN
            RETURN false;
        END IF;
    END LOOP;
    -- At READ COMMITTED each statement of this (volatile) function saw every commit before the
    -- calling statement began, so the contents are current at least as of that moment; in a
    -- REPEATABLE READ refresh, as of the transaction's start. Current contents also end a run
    -- of failures.
    UPDATE pgtrickle.pgt_stream_tables st
    SET data_timestamp = CASE WHEN current_setting('transaction_isolation') = 'read committed'
                              THEN statement_timestamp() ELSE transaction_timestamp() END,
        consecutive_errors = 0, last_error = NULL,
        pgt_schema = n.nspname, pgt_name = c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE st.pgt_id = p_st.pgt_id AND c.oid = st.pgt_relid;
    IF p_initiated_by IS NOT NULL THEN
        INSERT INTO pgtrickle.pgt_refresh_history
            (pgt_id, start_time, end_time, action, status, rows_inserted, rows_deleted, rows_updated,
             changes_consumed, initiated_by, frontier, reason)
        VALUES (p_st.pgt_id, coalesce(p_start, clock_timestamp()), clock_timestamp(), 'NO_DATA', 'COMPLETED', 0, 0, 0,
                0, p_initiated_by, p_st.frontier, 'no source changed since the last refresh')
        RETURNING refresh_id INTO v_refresh_id;
        PERFORM pgtrickle._notify_event(jsonb_build_object(
            'event', 'refresh_completed',
            'stream_table', pgtrickle._event_name(p_st.pgt_relid, p_st.pgt_schema, p_st.pgt_name),
            'pgt_id', p_st.pgt_id,
            'refresh_id', v_refresh_id,
            'action', 'NO_DATA',
            'rows_inserted', 0,
            'rows_updated', 0,
            'rows_deleted', 0,
            'initiated_by', p_initiated_by,
            'fallback', false));
    END IF;
    RETURN true;
END
$$;
REVOKE ALL ON FUNCTION pgtrickle._mark_fresh_if_unchanged(pgtrickle.pgt_stream_tables, text, timestamptz) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Source DDL. A plan, the normalized query and the capture function name columns and tables;
-- renaming, dropping or retyping them, or attaching partitions, makes them stale. PostgreSQL
-- already refuses to drop or retype a column a definition view uses (without CASCADE). The
-- daemon checks every pass with _source_changes() (catalog lookups only) and repairs each
-- stream table it names with _reinitialize(), as the stream table's owner.
-- ---------------------------------------------------------------------------------------------

-- Whether the capture of a source still fits the source: every buffered column still exists
-- with its name and type. (Added columns do not matter: no definition reads them yet.)
CREATE OR REPLACE FUNCTION pgtrickle._buffer_is_current(p_source oid) RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT NOT EXISTS (
        SELECT 1
        FROM pgtrickle.pgt_change_sources cs
        CROSS JOIN LATERAL pgtrickle._column_definitions(
            format('pgtrickle_changes.%I', cs.buffer_table)::regclass) AS b
        CROSS JOIN LATERAL unnest(b.names, b.types) AS buffered(name, type)
        WHERE cs.source_relid = p_source
          AND NOT EXISTS (SELECT 1 FROM pgtrickle._column_definitions(p_source) AS s
                          CROSS JOIN LATERAL unnest(s.names, s.types) AS current(name, type)
                          WHERE current.name = buffered.name AND current.type = buffered.type))
$$;

-- Stream tables that need _reinitialize, and why. Cheap enough for every pass: no deparsing.
CREATE OR REPLACE FUNCTION pgtrickle._source_changes()
RETURNS TABLE (pgt_id bigint, problem text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT st.pgt_id, p.problem
    FROM pgtrickle.pgt_stream_tables st
    CROSS JOIN LATERAL (
        SELECT 'a source was dropped' AS problem
        WHERE EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d
                      WHERE d.pgt_id = st.pgt_id AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = d.source_relid))
        UNION ALL
        SELECT 'the definition view was dropped'
        WHERE to_regclass(format('pgtrickle.%I', st.definition_view)) IS NULL
        UNION ALL
        SELECT 'a source was renamed'
        WHERE EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d
                      JOIN pg_class c ON c.oid = d.source_relid JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE d.pgt_id = st.pgt_id AND (c.relname <> d.source_name OR n.nspname <> d.source_schema))
        UNION ALL
        SELECT 'the columns of a source changed'
        WHERE EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d
                      JOIN pgtrickle.pgt_change_sources cs USING (source_relid)
                      WHERE d.pgt_id = st.pgt_id AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = d.source_relid)
                        AND NOT pgtrickle._buffer_is_current(d.source_relid))
        UNION ALL
        SELECT 'a partition or child table of a source is not captured'
        WHERE EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d
                      CROSS JOIN LATERAL pgtrickle._table_and_descendants(d.source_relid) AS tables(relid)
                      WHERE d.pgt_id = st.pgt_id
                        AND EXISTS (SELECT 1 FROM pgtrickle.pgt_change_sources cs WHERE cs.source_relid = d.source_relid
                                    AND cs.cdc_mode = 'trigger')
                        AND NOT EXISTS (SELECT 1 FROM pg_trigger t
                                        WHERE t.tgrelid = tables.relid AND t.tgname = 'pgtrickle_capture_insert'))
        UNION ALL
        -- The function maintaining an IMMEDIATE stream table names it as it was called then.
        SELECT 'it was renamed, and its IMMEDIATE maintenance names it by its old name'
        WHERE st.refresh_mode = 'IMMEDIATE'
          AND EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                      WHERE c.oid = st.pgt_relid AND (c.relname <> st.pgt_name OR n.nspname <> st.pgt_schema))
        UNION ALL
        SELECT 'a partition or child table of a source has no IMMEDIATE triggers'
        WHERE st.refresh_mode = 'IMMEDIATE'
          AND EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d
                      CROSS JOIN LATERAL pgtrickle._table_and_descendants(d.source_relid) AS tables(relid)
                      WHERE d.pgt_id = st.pgt_id
                        AND NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = tables.relid
                                        AND t.tgname = format('pgtrickle_immediate_%s_insert', st.pgt_id)))
        UNION ALL
        -- Its function names the source columns the query used; PostgreSQL follows a rename in
        -- the definition view (an IMMEDIATE stream table has no capture to notice it by).
        SELECT 'a column of a source was renamed, and its IMMEDIATE maintenance names it by its old name'
        WHERE st.refresh_mode = 'IMMEDIATE'
          AND to_regclass(format('pgtrickle.%I', st.definition_view)) IS NOT NULL
          AND pgtrickle._deparse_view(to_regclass(format('pgtrickle.%I', st.definition_view))) <> st.normalized_query
        UNION ALL
        SELECT 'its contents must be recomputed'
        WHERE st.frontier IS NULL AND st.is_populated AND st.refresh_mode <> 'IMMEDIATE'
    ) AS p
    WHERE st.status <> 'ERROR' AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = st.pgt_relid)
$$;

-- Catalog owner part: a stream table that cannot be repaired gets status ERROR, with why.
CREATE OR REPLACE FUNCTION pgtrickle._mark_error(p_pgt_id bigint, p_error text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._claimed(p_pgt_id);
BEGIN
    UPDATE pgtrickle.pgt_stream_tables SET status = 'ERROR', last_error = p_error WHERE pgt_id = p_pgt_id;
    PERFORM pgtrickle._notify_event(jsonb_build_object(
        'event', 'stream_table_error',
        'stream_table', pgtrickle._event_name(v_st.pgt_relid, v_st.pgt_schema, v_st.pgt_name),
        'pgt_id', p_pgt_id,
        'error', pgtrickle._event_text(p_error)));
END
$$;

-- Catalog owner part: recreates a source's change buffer and capture function with the source's
-- current columns. The buffered changes are lost with the old buffer, so every stream table
-- reading the source forgets its frontier: its next refresh recomputes it (FULL).
CREATE OR REPLACE FUNCTION pgtrickle._rebuild_change_buffer(p_pgt_id bigint, p_source oid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_old pgtrickle.pgt_change_sources;
    v_reader record;
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id);
    IF NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies WHERE pgt_id = p_pgt_id AND source_relid = p_source) THEN
        RAISE EXCEPTION 'stream table % does not read relation %', p_pgt_id, p_source
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    DELETE FROM pgtrickle.pgt_change_sources WHERE source_relid = p_source RETURNING * INTO v_old;
    EXECUTE format('DROP TABLE IF EXISTS pgtrickle_changes.%I', v_old.buffer_table);
    PERFORM pgtrickle._ensure_change_buffer(p_source);
    -- The capture mode stays. Journal changes of transactions this snapshot sees predate the DDL
    -- (it holds the table's exclusive lock) and follow the old columns: the readers recompute
    -- instead. The old start LSN stays: a lower bound is always safe.
    UPDATE pgtrickle.pgt_change_sources
    SET cdc_mode = v_old.cdc_mode, cdc_request = v_old.cdc_request, wal_cut = v_old.wal_cut,
        wal_loaded = CASE WHEN v_old.wal_loaded IS NOT NULL THEN pg_current_snapshot() END,
        wal_loaded_lsn = v_old.wal_loaded_lsn, cdc_note = v_old.cdc_note
    WHERE source_relid = p_source;
    FOR v_reader IN
        SELECT DISTINCT c.relowner FROM pgtrickle.pgt_dependencies d
        JOIN pgtrickle.pgt_stream_tables st USING (pgt_id) JOIN pg_class c ON c.oid = st.pgt_relid
        WHERE d.source_relid = p_source AND st.plan IS NOT NULL
    LOOP
        PERFORM pgtrickle._grant_buffer_access(p_source, v_reader.relowner);
    END LOOP;
    UPDATE pgtrickle.pgt_stream_tables st SET frontier = NULL, frontier_own_xid = NULL, frontier_own_seq = NULL
    WHERE st.pgt_id IN (SELECT d.pgt_id FROM pgtrickle.pgt_dependencies d WHERE d.source_relid = p_source);
END
$$;

-- Repairs a stream table after DDL on its sources (see _source_changes), in the caller's
-- transaction and with the caller's rights: capture brought up to date; then status ERROR when a
-- source or the definition view was dropped, otherwise the definition re-read, the plan reset
-- (the daemon compiles it again) and the contents recomputed. Returns what it did.
CREATE OR REPLACE FUNCTION pgtrickle._reinitialize(p_pgt_id bigint) RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
    v_display text;
    v_dropped text;
    v_source record;
    v_definition text;
    v_analysis record;
BEGIN
    SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id;
    v_display := pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name);
    PERFORM pgtrickle._lock_storage(v_st, 'ACCESS EXCLUSIVE');
    SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id;

    -- Capture first, whatever else is wrong: a stale capture function makes the writers' DML fail.
    FOR v_source IN
        SELECT d.source_relid, cs.capture_function, cs.cdc_mode FROM pgtrickle.pgt_dependencies d
        JOIN pgtrickle.pgt_change_sources cs USING (source_relid)
        WHERE d.pgt_id = p_pgt_id AND EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = d.source_relid)
    LOOP
        IF NOT pgtrickle._buffer_is_current(v_source.source_relid) THEN
            PERFORM pgtrickle._rebuild_change_buffer(p_pgt_id, v_source.source_relid);
        END IF;
        -- (A source captured from the WAL has no triggers; the publication covers its partitions.)
        IF v_source.cdc_mode = 'trigger' AND EXISTS (SELECT 1 FROM pgtrickle._table_and_descendants(v_source.source_relid) AS tables(relid)
                   WHERE NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = tables.relid
                                     AND t.tgname = 'pgtrickle_capture_insert')) THEN
            -- Rows of a newly attached partition, or written to it directly so far, were never
            -- captured: capture from now on and recompute.
            PERFORM pgtrickle._install_capture_triggers(v_source.source_relid, v_source.capture_function);
            PERFORM pgtrickle._rebuild_change_buffer(p_pgt_id, v_source.source_relid);
        END IF;
    END LOOP;

    SELECT string_agg(pgtrickle._display_name(d.source_schema, d.source_name), ', ') INTO v_dropped
    FROM pgtrickle.pgt_dependencies d
    WHERE d.pgt_id = p_pgt_id AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = d.source_relid);
    IF v_dropped IS NOT NULL THEN
        PERFORM pgtrickle._mark_error(p_pgt_id, format(
            'source %s was dropped: stream table %s cannot be refreshed; drop it or recreate it with create_or_replace_stream_table()',
            v_dropped, v_display));
        RETURN 'ERROR: source dropped';
    END IF;
    IF to_regclass(format('pgtrickle.%I', v_st.definition_view)) IS NULL THEN
        PERFORM pgtrickle._mark_error(p_pgt_id, format(
            'the definition of stream table %s was dropped with a column or object it used (DROP ... CASCADE); '
            'recreate it with create_or_replace_stream_table()', v_display));
        RETURN 'ERROR: definition dropped';
    END IF;

    -- Redefined from the definition view, which PostgreSQL kept up to date through renames (the
    -- output column names stay: the view keeps them as aliases); the plan, which names source
    -- columns, is compiled afresh; the contents are recomputed.
    v_definition := pgtrickle._deparse_view(format('pgtrickle.%I', v_st.definition_view)::regclass);
    v_analysis := pgtrickle._analyze_query(v_definition, 'pg_catalog');
    PERFORM pgtrickle._replace_query(v_st, v_definition, v_analysis, v_st.refresh_mode);
    RETURN 'redefined and recomputed';
END
$$;
