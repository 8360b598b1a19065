-- Refresh: snapshot frontiers (I1), one snapshot per refresh (I2), history and buffer cleanup (I4).
--
-- Authorization: managing a stream table requires the right to write its storage table. The
-- public functions (SECURITY INVOKER) lock the storage table in SHARE ROW EXCLUSIVE mode, which
-- needs that right; the catalog-owner helpers (SECURITY DEFINER) check that this session holds
-- such a lock before they touch the catalog. The lock also serializes concurrent refreshes of
-- one stream table while readers go on reading it.

-- The stream table a (optionally schema-qualified) name refers to, or NULL: the one whose
-- storage table has that name now, else one whose storage table was dropped behind pgtrickle's
-- back and was created under that name (so that drop_stream_table can clean it up).
CREATE OR REPLACE FUNCTION pgtrickle._lookup_stream_table(p_name text)
RETURNS pgtrickle.pgt_stream_tables
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_name record := pgtrickle._split_name(p_name);
    v_st pgtrickle.pgt_stream_tables;
BEGIN
    SELECT st.* INTO v_st
    FROM pgtrickle.pgt_stream_tables st
    JOIN pg_class c ON c.oid = st.pgt_relid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = v_name.schema_name AND c.relname = v_name.rel_name;
    IF NOT FOUND THEN
        SELECT st.* INTO v_st
        FROM pgtrickle.pgt_stream_tables st
        WHERE st.pgt_schema = v_name.schema_name AND st.pgt_name = v_name.rel_name
          AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = st.pgt_relid);
    END IF;
    RETURN v_st;
END
$$;

-- Like _lookup_stream_table, but raises when there is no such stream table.
CREATE OR REPLACE FUNCTION pgtrickle._find_stream_table(p_name text)
RETURNS pgtrickle.pgt_stream_tables
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._lookup_stream_table(p_name);
    v_name record;
BEGIN
    IF v_st.pgt_id IS NULL THEN
        v_name := pgtrickle._split_name(p_name);
        RAISE EXCEPTION 'stream table "%" does not exist',
            pgtrickle._display_name(v_name.schema_name, v_name.rel_name)
            USING ERRCODE = 'undefined_table',
                  HINT = 'Names without a schema refer to schema public; pgtrickle.pgt_status() lists the stream tables.';
    END IF;
    RETURN v_st;
END
$$;

-- Raises unless the storage table of the stream table still exists.
CREATE OR REPLACE FUNCTION pgtrickle._storage_of(p_st pgtrickle.pgt_stream_tables) RETURNS regclass
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_class WHERE oid = p_st.pgt_relid) THEN
        RAISE EXCEPTION 'the storage table of stream table "%" was dropped',
            pgtrickle._display_name(p_st.pgt_schema, p_st.pgt_name)
            USING ERRCODE = 'undefined_table',
                  HINT = 'Remove the stream table with pgtrickle.drop_stream_table().';
    END IF;
    RETURN p_st.pgt_relid::regclass;
END
$$;

-- Takes the management lock on a stream table's storage table (see the header). Code that will
-- alter the table asks for ACCESS EXCLUSIVE at once: upgrading from the management lock
-- deadlocks with a session that has read the table and then asks for the management lock.
-- Before ACCESS EXCLUSIVE (a compile, a repair after source DDL, a drop), an IMMEDIATE stream
-- table's sources and epoch are locked first, in its writers' order (_immediate_epoch_first).
DROP FUNCTION IF EXISTS pgtrickle._lock_storage(pgtrickle.pgt_stream_tables);
CREATE OR REPLACE FUNCTION pgtrickle._lock_storage(
    p_st pgtrickle.pgt_stream_tables, p_mode text DEFAULT 'SHARE ROW EXCLUSIVE') RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_mode NOT IN ('SHARE ROW EXCLUSIVE', 'ACCESS EXCLUSIVE') THEN
        RAISE EXCEPTION 'unexpected lock mode %', p_mode USING ERRCODE = 'internal_error';
    END IF;
    IF p_mode = 'ACCESS EXCLUSIVE' THEN
        PERFORM pgtrickle._immediate_epoch_first(p_st);
    END IF;
    EXECUTE format('LOCK TABLE %s IN %s MODE', pgtrickle._storage_of(p_st), p_mode);
EXCEPTION WHEN insufficient_privilege THEN
    RAISE EXCEPTION 'permission denied for stream table "%"',
        pgtrickle._display_name(p_st.pgt_schema, p_st.pgt_name)
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'Managing a stream table requires the right to write its storage table (usually: be its owner).';
END
$$;

-- Used by SECURITY DEFINER helpers: this session must hold a lock on the relation that only a
-- role allowed to write it can take (SHARE ROW EXCLUSIVE or stronger, or the lock of CREATE and
-- DROP TABLE).
CREATE OR REPLACE FUNCTION pgtrickle._assert_write_lock(p_relid oid) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (
        SELECT 1 FROM pg_locks
        WHERE locktype = 'relation' AND relation = p_relid AND pid = pg_backend_pid() AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
          AND mode IN ('ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock')) THEN
        RAISE EXCEPTION 'permission denied: the storage table (oid %) is not locked by this session', p_relid
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'Use the pgtrickle SQL API functions; the helpers starting with _ are internal.';
    END IF;
END
$$;

-- Takes the read locks of a refresh on a stream table's sources before its storage lock, so that
-- locks are always taken upstream first: drop_stream_table(cascade) locks a table before its
-- dependents, and a refresh holding its own storage while waiting for a source would deadlock
-- with it. Only kinds LOCK TABLE accepts; a source gone since is left to the refresh to report.
-- SHARE ROW EXCLUSIVE (see _lock_storage) locks the tables only, which carry the triggers.
DROP FUNCTION IF EXISTS pgtrickle._lock_sources(bigint);
CREATE OR REPLACE FUNCTION pgtrickle._lock_sources(p_pgt_id bigint, p_mode text DEFAULT 'ACCESS SHARE') RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_source regclass;
BEGIN
    IF p_mode NOT IN ('ACCESS SHARE', 'SHARE ROW EXCLUSIVE') THEN
        RAISE EXCEPTION 'unexpected lock mode %', p_mode USING ERRCODE = 'internal_error';
    END IF;
    FOR v_source IN
        SELECT c.oid::regclass FROM pgtrickle.pgt_dependencies d JOIN pg_class c ON c.oid = d.source_relid
        WHERE d.pgt_id = p_pgt_id AND c.relkind IN ('r', 'p', 'v')
          AND (p_mode = 'ACCESS SHARE' OR c.relkind IN ('r', 'p'))
        ORDER BY c.oid
    LOOP
        EXECUTE format('LOCK TABLE %s IN %s MODE', v_source, p_mode);
    END LOOP;
END
$$;

-- The moment the contents of a refresh starting now are current as of: now at READ COMMITTED,
-- where the next statement takes a fresh snapshot; the transaction's start otherwise, since its
-- snapshot may be older than this moment (a daemon refresh of a WAL source waits for the
-- decoder after taking it).
CREATE OR REPLACE FUNCTION pgtrickle._data_time() RETURNS timestamptz
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN current_setting('transaction_isolation') = 'read committed'
                THEN clock_timestamp() ELSE transaction_timestamp() END
$$;

-- Locks a stream table for management (see the header) and returns its catalog row as it is
-- once the lock is held: a refresh that held the lock before may have committed a newer state.
CREATE OR REPLACE FUNCTION pgtrickle._locked(p_pgt_id bigint) RETURNS pgtrickle.pgt_stream_tables
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._take_locks(p_pgt_id);
    -- FOR UPDATE: at REPEATABLE READ or SERIALIZABLE, a row another refresh changed after this
    -- transaction's snapshot raises a serialization failure (retry) instead of a stale frontier.
    RETURN pgtrickle._claimed(p_pgt_id);
END
$$;

-- The locks of _locked, without claiming the catalog row: for a caller that claims it through
-- another catalog-owner helper (one check of the lock instead of two).
CREATE OR REPLACE FUNCTION pgtrickle._take_locks(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
BEGIN
    SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id;
    PERFORM pgtrickle._lock_sources(p_pgt_id);
    PERFORM pgtrickle._lock_storage(v_st);
EXCEPTION WHEN insufficient_privilege THEN
    -- A source it may not read, or the storage table it may not write: name the stream table.
    RAISE EXCEPTION 'permission denied for stream table "%"', pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name)
        USING ERRCODE = 'insufficient_privilege', DETAIL = SQLERRM,
              HINT = 'Managing a stream table requires the right to write its storage table (usually: be its owner) and to read its sources.';
WHEN undefined_table THEN
    IF NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id) THEN
        RAISE EXCEPTION 'stream table "%" was dropped while waiting for its locks',
            pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name) USING ERRCODE = 'undefined_table';
    END IF;
    RAISE;
END
$$;

-- For the catalog-owner helpers: locks the catalog row and checks that this session holds the
-- management lock on the storage table (the caller's proof of its rights). With
-- p_storage_may_be_gone, a stream table whose storage table was dropped behind pgtrickle's back
-- may be claimed by anyone: only cleaning up remains.
DROP FUNCTION IF EXISTS pgtrickle._claimed(bigint);
DROP FUNCTION IF EXISTS pgtrickle._claimed_for_cleanup(bigint);
CREATE OR REPLACE FUNCTION pgtrickle._claimed(p_pgt_id bigint, p_storage_may_be_gone boolean DEFAULT false)
RETURNS pgtrickle.pgt_stream_tables
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
BEGIN
    SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id FOR UPDATE;
    IF NOT p_storage_may_be_gone OR EXISTS (SELECT 1 FROM pg_class WHERE oid = v_st.pgt_relid) THEN
        PERFORM pgtrickle._assert_write_lock(v_st.pgt_relid);
    END IF;
    RETURN v_st;
END
$$;

-- Whether a buffer row (writer xid, capture stamp) is covered by a frontier: its transaction is
-- visible in the frontier's snapshot, and if it is the transaction that took the frontier, the
-- row was captured before the refresh. Inlined by the planner (simple SQL, IMMUTABLE).
CREATE OR REPLACE FUNCTION pgtrickle._covered(
    p_xid xid8, p_seq bigint, p_frontier pg_snapshot, p_own_xid xid8, p_own_seq bigint)
RETURNS boolean LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT p_frontier IS NOT NULL AND pg_catalog.pg_visible_in_snapshot(p_xid, p_frontier)
       AND (p_own_xid IS NULL OR p_xid OPERATOR(pg_catalog.<>) p_own_xid
            OR p_seq OPERATOR(pg_catalog.<) p_own_seq)
$$;

-- A frontier from a statement's snapshot and the transaction's own xid (see _frontier_snapshot).
CREATE OR REPLACE FUNCTION pgtrickle._frontier_of(p_snapshot pg_snapshot, p_own xid8) RETURNS pg_snapshot
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_xmax bigint;
    v_own bigint;
BEGIN
    IF p_own IS NULL OR pg_visible_in_snapshot(p_own, p_snapshot) THEN
        RETURN p_snapshot;
    END IF;
    v_xmax := pg_snapshot_xmax(p_snapshot)::text::bigint;
    v_own := p_own::text::bigint;
    IF v_own = v_xmax THEN
        -- The usual case (ours was the next xid when the snapshot was taken): only xmax moves.
        -- An expression without a query, which PL/pgSQL evaluates without the executor: ~2
        -- instead of ~50 µs of every refresh.
        RETURN (pg_snapshot_xmin(p_snapshot)::text || ':' || (v_own + 1)::text || ':'
                || split_part(p_snapshot::text, ':', 3))::pg_snapshot;
    END IF;
    RETURN (pg_snapshot_xmin(p_snapshot)::text || ':' || (v_own + 1)::text || ':' ||
            coalesce((SELECT string_agg(x::text, ',' ORDER BY x)
                      FROM (SELECT xip::text::bigint AS x FROM pg_snapshot_xip(p_snapshot) AS xip
                            WHERE xip <> p_own
                            UNION
                            SELECT generate_series(v_xmax, v_own - 1)) AS running), '')
           )::pg_snapshot;
END
$$;

-- The snapshot of the running statement, as a frontier. When this transaction itself wrote
-- (e.g. INSERT then refresh in one transaction), its own xid is made visible: the statement
-- saw those writes, so they belong to this refresh. PostgreSQL leaves the own xid out of
-- xip and may put it at or above xmax; xids between the old xmax and ours were still running
-- when the snapshot was taken and stay invisible (see _frontier_of). STABLE: runs under the
-- caller's snapshot.
CREATE OR REPLACE FUNCTION pgtrickle._frontier_snapshot() RETURNS pg_snapshot
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pgtrickle._frontier_of(pg_current_snapshot(), pg_current_xact_id_if_assigned())
$$;

-- The storage columns a recomputation fills: the plan's (hidden ones included) once compiled,
-- the storage table's own before. The query filling them is the plan's populate query, or the
-- defining query.
CREATE OR REPLACE FUNCTION pgtrickle._contents_columns(p_st pgtrickle.pgt_stream_tables, p_storage regclass)
RETURNS text[] LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_st.plan IS NULL THEN
        RETURN (pgtrickle._column_definitions(p_storage)).names::text[];
    END IF;
    RETURN ARRAY(SELECT jsonb_array_elements_text(p_st.plan -> 'columns'));
END
$$;

-- Recomputes the storage table from the defining query (or, once compiled, from the plan's
-- populate query, which also fills the hidden columns). Deleting the old rows, inserting the
-- new ones and taking the frontier happen in ONE statement, hence under one snapshot (I2).
-- Runs as the caller: reading the sources and writing the storage table use the caller's rights.
-- p_reason is recorded in the history (why FULL, when the mode alone does not say); p_fallback
-- marks a refresh that should have been differential and is redone FULL, which pgt_status() and
-- health_check() report.
DROP FUNCTION IF EXISTS pgtrickle._full_refresh(bigint, text);
DROP FUNCTION IF EXISTS pgtrickle._full_refresh(bigint, text, text);
CREATE OR REPLACE FUNCTION pgtrickle._full_refresh(
    p_pgt_id bigint, p_initiated_by text, p_reason text DEFAULT NULL, p_fallback boolean DEFAULT false)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_start timestamptz := clock_timestamp();
    v_st pgtrickle.pgt_stream_tables;
    v_storage regclass;
    v_columns text[];
    v_replaced record;
    v_data_time timestamptz;
    v_kept text;
BEGIN
    v_st := pgtrickle._locked(p_pgt_id);
    v_st.plan := v_st.plan || '{}';  -- decompressed once (see _differential_refresh)
    v_storage := pgtrickle._storage_of(v_st);
    v_columns := pgtrickle._contents_columns(v_st, v_storage);
    v_kept := pgtrickle._kept_refill(v_st);
    v_data_time := pgtrickle._data_time();
    v_replaced := pgtrickle._replace_contents(v_storage, v_columns,
        coalesce(v_st.plan ->> 'populate', v_st.normalized_query), v_st.publication_key, v_kept);
    IF v_kept <> '' THEN
        PERFORM pgtrickle._analyze_kept_states(p_pgt_id);
    END IF;
    PERFORM pgtrickle._complete_refresh(p_pgt_id, v_replaced.frontier, v_data_time, 'FULL',
                                        v_replaced.inserted, v_replaced.deleted, v_start, p_initiated_by,
                                        p_rows_updated => v_replaced.updated,
                                        p_reason => p_reason, p_fallback => p_fallback,
                                        p_clock_due => pgtrickle._next_clock_change(v_st));
END
$$;

-- The CTEs (each ending in a comma) that refill the plan's kept states (groups of aggregates
-- inside the query) in the statement recomputing the contents, so under the same snapshot.
CREATE OR REPLACE FUNCTION pgtrickle._kept_refill(p_st pgtrickle.pgt_stream_tables) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN (SELECT coalesce(string_agg(format('__pgt_kept_clear%1$s AS (DELETE FROM %2$s), '
                                              '__pgt_kept_fill%1$s AS (INSERT INTO %2$s %3$s), ',
                                              k.n, pgtrickle._plan_statement(p_st, k.state ->> 'table'),
                                              k.state ->> 'fill'),
                                       '' ORDER BY k.n), '')
            FROM jsonb_array_elements(coalesce(p_st.plan -> 'kept_states', '[]')) WITH ORDINALITY AS k(state, n));
END
$$;

-- Replaces the rows of p_storage, columns p_columns, with those of the query p_source, in one
-- statement (after the CTEs p_ctes, each ending in a comma), and returns its frontier snapshot
-- and row counts. Without p_key: all rows deleted and the new ones inserted. With p_key (the
-- replica identity of a published stream table) subscribers get only the difference, keyed on it
-- — rows whose key vanished deleted, rows whose key stays updated where their text differs (so
-- 1.0 → 1.00 is sent, an unchanged row is not), new keys inserted (docs/architecture.md,
-- "Published stream tables").
CREATE OR REPLACE FUNCTION pgtrickle._replace_contents(
    p_storage regclass, p_columns text[], p_source text, p_key name[], p_ctes text DEFAULT '',
    OUT frontier pg_snapshot, OUT inserted bigint, OUT deleted bigint, OUT updated bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_columns text := (SELECT string_agg(quote_ident(c), ', ' ORDER BY n) FROM unnest(p_columns) WITH ORDINALITY AS c(c, n));
    v_new_row text := (SELECT string_agg('__pgt_n.' || quote_ident(c), ', ' ORDER BY n)
                       FROM unnest(p_columns) WITH ORDINALITY AS c(c, n));
    v_match text := (SELECT string_agg(format('__pgt_t.%1$I = __pgt_n.%1$I', c), ' AND ') FROM unnest(p_key) AS c);
BEGIN
    IF p_key IS NULL THEN
        EXECUTE format(
            'WITH %4$s deleted AS (DELETE FROM %1$s RETURNING 1), '
            'inserted AS (INSERT INTO %1$s (%2$s) SELECT %2$s FROM (%3$s) AS q RETURNING 1) '
            'SELECT pgtrickle._frontier_snapshot(), (SELECT count(*) FROM inserted), (SELECT count(*) FROM deleted)',
            p_storage, v_columns, p_source, p_ctes)
        INTO frontier, inserted, deleted;
        RETURN;
    END IF;
    EXECUTE format(
        'WITH %4$s __pgt_new AS MATERIALIZED (SELECT %2$s FROM (%3$s) AS q), '
        'deleted AS (DELETE FROM %1$s AS __pgt_t WHERE NOT EXISTS (SELECT 1 FROM __pgt_new AS __pgt_n WHERE %5$s) RETURNING 1), '
        'updated AS (UPDATE %1$s AS __pgt_t SET (%2$s) = ROW(%6$s) FROM __pgt_new AS __pgt_n WHERE %5$s '
        'AND ROW(%7$s)::text IS DISTINCT FROM ROW(%6$s)::text RETURNING 1), '
        'inserted AS (INSERT INTO %1$s (%2$s) SELECT %2$s FROM __pgt_new AS __pgt_n '
        'WHERE NOT EXISTS (SELECT 1 FROM %1$s AS __pgt_t WHERE %5$s) RETURNING 1) '
        'SELECT pgtrickle._frontier_snapshot(), (SELECT count(*) FROM inserted), (SELECT count(*) FROM deleted), '
        '(SELECT count(*) FROM updated)',
        p_storage, v_columns, p_source, p_ctes, v_match, v_new_row, replace(v_new_row, '__pgt_n.', '__pgt_t.'))
    INTO frontier, inserted, deleted, updated;
END
$$;

-- Bookkeeping of a successful refresh, in the refresh's transaction: new frontier, history
-- row, deletion of buffer rows that every consumer's frontier now covers, and the
-- refresh_completed event (sent if the transaction commits).
DROP FUNCTION IF EXISTS pgtrickle._complete_refresh(bigint, pg_snapshot, timestamptz, text, bigint, bigint, timestamptz, text);
DROP FUNCTION IF EXISTS pgtrickle._complete_refresh(bigint, pg_snapshot, timestamptz, text, bigint, bigint, timestamptz, text, bigint);
DROP FUNCTION IF EXISTS pgtrickle._complete_refresh(bigint, pg_snapshot, timestamptz, text, bigint, bigint, timestamptz, text, bigint, text);
DROP FUNCTION IF EXISTS pgtrickle._complete_refresh(bigint, pg_snapshot, timestamptz, text, bigint, bigint, timestamptz, text, bigint, text, bigint);
DROP FUNCTION IF EXISTS pgtrickle._complete_refresh(bigint, pg_snapshot, timestamptz, text, bigint, bigint, timestamptz, text, bigint, text, bigint, boolean);
DROP FUNCTION IF EXISTS pgtrickle._complete_refresh(bigint, pg_snapshot, timestamptz, text, bigint, bigint, timestamptz, text, bigint, text, bigint, boolean, timestamptz);
-- p_consumed, p_oldest_consumed: how many change rows a differential refresh statement read and
-- the oldest transaction among them (NULL: counted here).
CREATE OR REPLACE FUNCTION pgtrickle._complete_refresh(
    p_pgt_id bigint, p_frontier pg_snapshot, p_data_time timestamptz, p_action text,
    p_rows_inserted bigint, p_rows_deleted bigint, p_start timestamptz, p_initiated_by text,
    p_rows_updated bigint DEFAULT NULL, p_reason text DEFAULT NULL, p_consumed bigint DEFAULT NULL,
    p_fallback boolean DEFAULT false, p_clock_due timestamptz DEFAULT NULL, p_oldest_consumed xid8 DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
    v_source record;
    v_consumed bigint;
    v_truncated boolean;
    v_oldest xid8;
    v_total_consumed bigint;
    v_oldest_consumed xid8 := p_oldest_consumed;
    v_action text := p_action;
    v_reason text := p_reason;
    v_refresh_id bigint;
    v_schema name;
    v_name name;
BEGIN
    v_st := pgtrickle._claimed(p_pgt_id);

    -- Changes the refresh accounted for: visible in the new frontier, not in the old one. A
    -- differential refresh statement counted them as it read them (and stopped on a truncation).
    IF p_consumed IS NOT NULL THEN
        v_total_consumed := p_consumed;
    ELSIF v_st.frontier IS NOT NULL THEN
        v_total_consumed := 0;
        FOR v_source IN
            SELECT cs.buffer_table FROM pgtrickle.pgt_dependencies d
            JOIN pgtrickle.pgt_change_sources cs USING (source_relid)
            WHERE d.pgt_id = p_pgt_id
        LOOP
            EXECUTE format('SELECT count(*) FILTER (WHERE __pgt_action <> ''T''), '
                           'coalesce(bool_or(__pgt_action = ''T''), false), min(__pgt_xid) '
                           'FROM pgtrickle_changes.%I '
                           'WHERE pg_visible_in_snapshot(__pgt_xid, $1) '
                           'AND NOT pgtrickle._covered(__pgt_xid, __pgt_seq, $2, $3, $4)', v_source.buffer_table)
            INTO v_consumed, v_truncated, v_oldest
            USING p_frontier, v_st.frontier, v_st.frontier_own_xid, v_st.frontier_own_seq;
            v_total_consumed := v_total_consumed + v_consumed;
            v_oldest_consumed := least(v_oldest_consumed, v_oldest);
            IF v_truncated THEN
                -- Whatever else was considered, the truncation is what decided.
                v_action := 'REINITIALIZE';
                v_reason := 'a source was truncated: reinitialized';
            END IF;
        END LOOP;
    END IF;

    INSERT INTO pgtrickle.pgt_refresh_history
        (pgt_id, start_time, end_time, action, status, rows_inserted, rows_deleted, rows_updated,
         changes_consumed, initiated_by, frontier, reason, fallback, xid)
    VALUES (p_pgt_id, p_start, clock_timestamp(), v_action, 'COMPLETED', p_rows_inserted,
            p_rows_deleted, p_rows_updated, v_total_consumed, p_initiated_by, p_frontier, v_reason,
            p_fallback, pg_current_xact_id())
    RETURNING refresh_id INTO v_refresh_id;

    UPDATE pgtrickle.pgt_stream_tables st
    -- An IMMEDIATE stream table reads no change buffer: no frontier to hold their rows back.
    SET frontier = CASE WHEN st.refresh_mode <> 'IMMEDIATE' THEN p_frontier END,
        -- The cut inside this transaction: what it captured so far came before this stamp,
        -- anything it captures later comes after.
        frontier_own_xid = CASE WHEN st.refresh_mode <> 'IMMEDIATE' THEN pg_current_xact_id_if_assigned() END,
        frontier_own_seq = CASE WHEN st.refresh_mode <> 'IMMEDIATE' THEN nextval('pgtrickle.pgt_capture_seq') END,
        data_timestamp = p_data_time,
        -- The time a query reading the clock was computed at (the refresh's), and when a row of
        -- its window is next due to enter or leave (the caller asked, as the owner).
        clock_frontier = pgtrickle._clock(),
        clock_next_due = p_clock_due,
        is_populated = true,
        consecutive_errors = 0,
        last_error = NULL,
        status = CASE WHEN st.status = 'ERROR' THEN 'ACTIVE' ELSE st.status END,
        pgt_schema = n.nspname,
        pgt_name = c.relname
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE st.pgt_id = p_pgt_id AND c.oid = st.pgt_relid
    RETURNING st.pgt_schema, st.pgt_name INTO v_schema, v_name;

    PERFORM pgtrickle._cleanup_buffers(p_pgt_id, v_st.frontier, v_total_consumed, v_oldest_consumed);

    PERFORM pgtrickle._notify_event(jsonb_build_object(
        'event', 'refresh_completed',
        'stream_table', pgtrickle._display_name(v_schema, v_name),
        'pgt_id', p_pgt_id,
        'refresh_id', v_refresh_id,
        'action', v_action,
        'rows_inserted', p_rows_inserted,
        'rows_updated', p_rows_updated,
        'rows_deleted', p_rows_deleted,
        'initiated_by', p_initiated_by,
        'fallback', p_fallback));
END
$$;

-- Deletes buffer rows of the given stream table's sources that are visible in the frontier of
-- every stream table reading that source (I4). Stream tables that were never populated do not
-- hold rows back: their first refresh is FULL and sees every committed change. A row covered by
-- a frontier is visible in it, so its xid is below that frontier's xmax: rows at or above the
-- lowest xmax of the readers' frontiers (the changes a lagging reader has not consumed yet) are
-- passed over by one comparison instead of a look at every reader's frontier.
--
-- Only the rows this refresh consumed can have become deletable by it, and the cleanup scans the
-- whole buffer, so it is skipped where none of them can be (skipping only ever keeps rows
-- longer: the reader furthest behind cleans up when it moves):
--   p_consumed = 0 and no p_oldest_consumed: the refresh consumed nothing (the count leaves out
--   TRUNCATE markers, the oldest transaction does not).
--   p_old_frontier, the frontier this refresh started from: another reader of the source read
--   up to an earlier snapshot (lower xmax), which sees no commit the old frontier did not see.
--   p_oldest_consumed, the oldest transaction among the rows consumed (of any source): another
--   reader's snapshot was taken before it (xmax at or below it), so it has read none of them.
DROP FUNCTION IF EXISTS pgtrickle._cleanup_buffers(bigint);
DROP FUNCTION IF EXISTS pgtrickle._cleanup_buffers(bigint, pg_snapshot);
CREATE OR REPLACE FUNCTION pgtrickle._cleanup_buffers(p_pgt_id bigint, p_old_frontier pg_snapshot DEFAULT NULL,
                                                      p_consumed bigint DEFAULT NULL, p_oldest_consumed xid8 DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_source record;
BEGIN
    IF p_consumed = 0 AND p_oldest_consumed IS NULL THEN
        RETURN;
    END IF;
    FOR v_source IN
        SELECT cs.source_relid, cs.buffer_table,
               (SELECT min(pg_snapshot_xmax(st.frontier)) FROM pgtrickle.pgt_dependencies r
                JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
                WHERE r.source_relid = cs.source_relid AND st.frontier IS NOT NULL) AS below
        FROM pgtrickle.pgt_dependencies d
        JOIN pgtrickle.pgt_change_sources cs USING (source_relid)
        WHERE d.pgt_id = p_pgt_id
          AND NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies r
                          JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
                          WHERE r.source_relid = cs.source_relid AND r.pgt_id <> p_pgt_id
                            AND (pg_snapshot_xmax(st.frontier) < pg_snapshot_xmax(p_old_frontier)
                                 OR pg_snapshot_xmax(st.frontier) <= p_oldest_consumed))
    LOOP
        EXECUTE format('SELECT pgtrickle_changes.%I($1, $2)', v_source.buffer_table || '_cleanup')
        USING v_source.source_relid, v_source.below;
    END LOOP;
END
$$;

-- Refreshes a stream table now, in the caller's transaction: differentially when it has a
-- compiled plan and is populated, FULL otherwise.
CREATE OR REPLACE FUNCTION pgtrickle.refresh_stream_table(name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
BEGIN
    -- Sources captured from the WAL: the daemon, which reads the journal, refreshes differentially;
    -- this session cannot (see _differential_refresh, which refreshes FULL then).
    IF NOT pgtrickle._journal_loaded(v_st.pgt_id) AND pgtrickle._delegated_refresh(v_st) THEN
        RETURN;
    END IF;
    PERFORM pgtrickle._differential_refresh(v_st.pgt_id, 'MANUAL');
END
$$;

-- What a refresh that failed and rolled back had attempted: it left no trace, but nothing it read
-- has changed since (except newer changes), so asking again tells. Whatever made it fail (an
-- invalid setting, say) may make the question fail too: then FULL.
CREATE OR REPLACE FUNCTION pgtrickle._attempted_refresh(p_st pgtrickle.pgt_stream_tables, OUT action text, OUT reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    SELECT c.action, c.reason INTO action, reason FROM pgtrickle._choose_refresh(p_st) AS c;
EXCEPTION WHEN OTHERS THEN
    action := 'FULL';
    reason := NULL;
END
$$;

-- Records a refresh that failed and was rolled back. PostgreSQL has no autonomous
-- transactions, so the caller (the daemon, the CLI) reports the failure in a new transaction.
-- With suspend_after, the stream table is suspended once that many refreshes in a row failed.
DROP FUNCTION IF EXISTS pgtrickle.record_refresh_failure(text, text, text);
CREATE OR REPLACE FUNCTION pgtrickle.record_refresh_failure(
    name text, error text, initiated_by text DEFAULT 'MANUAL', suspend_after integer DEFAULT NULL)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    v_attempted record;
BEGIN
    PERFORM pgtrickle._check_suspend_after(suspend_after);
    v_st := pgtrickle._locked(v_st.pgt_id);
    v_attempted := pgtrickle._attempted_refresh(v_st);
    PERFORM pgtrickle._record_failure(v_st.pgt_id, error, initiated_by, suspend_after,
                                      v_attempted.action, v_attempted.reason);
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._check_suspend_after(p_suspend_after integer) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_suspend_after IS NOT NULL AND p_suspend_after < 1 THEN
        RAISE EXCEPTION 'suspend_after must be at least 1, got %', p_suspend_after
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'NULL never suspends.';
    END IF;
END
$$;

-- Catalog owner part of record_refresh_failure: the caller proved its rights with the lock.
DROP FUNCTION IF EXISTS pgtrickle._record_failure(bigint, text, text);
CREATE OR REPLACE FUNCTION pgtrickle._record_failure(
    p_pgt_id bigint, p_error text, p_initiated_by text, p_suspend_after integer, p_action text, p_reason text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id);
    PERFORM pgtrickle._apply_refresh_failure(p_pgt_id, p_error, p_initiated_by, p_suspend_after, p_action, p_reason);
END
$$;

-- The daemon's way to record a failed refresh: it needs no lock on the storage table, so it
-- works also when the daemon may not act as the stream table's owner, which is often the very
-- failure to record. Only the catalog owner (and its members, such as the daemon's role) may.
CREATE OR REPLACE FUNCTION pgtrickle._daemon_refresh_failure(
    p_pgt_id bigint, p_error text, p_suspend_after integer)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
    v_attempted record;
BEGIN
    PERFORM pgtrickle._check_suspend_after(p_suspend_after);
    SELECT * INTO v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN;  -- dropped since: nothing left to record
    END IF;
    v_attempted := pgtrickle._attempted_refresh(v_st);
    PERFORM pgtrickle._apply_refresh_failure(p_pgt_id, p_error, 'SCHEDULER', p_suspend_after,
                                             v_attempted.action, v_attempted.reason);
END
$$;
REVOKE ALL ON FUNCTION pgtrickle._daemon_refresh_failure(bigint, text, integer) FROM PUBLIC;

-- Counts the failure, stores the error, suspends after p_suspend_after failures in a row, adds a
-- FAILED history row and sends the events. Callable by the catalog owner only (see above).
CREATE OR REPLACE FUNCTION pgtrickle._apply_refresh_failure(
    p_pgt_id bigint, p_error text, p_initiated_by text, p_suspend_after integer, p_action text, p_reason text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
    v_name text;
    v_initiated_by text := coalesce(p_initiated_by, 'MANUAL');
    v_was_suspended boolean;
BEGIN
    SELECT status = 'SUSPENDED' INTO v_was_suspended FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id;
    UPDATE pgtrickle.pgt_stream_tables
    SET consecutive_errors = consecutive_errors + 1, last_error = p_error,
        status = CASE WHEN consecutive_errors + 1 >= p_suspend_after AND status = 'ACTIVE' THEN 'SUSPENDED' ELSE status END
    WHERE pgt_id = p_pgt_id
    RETURNING * INTO v_st;
    v_name := pgtrickle._event_name(v_st.pgt_relid, v_st.pgt_schema, v_st.pgt_name);
    INSERT INTO pgtrickle.pgt_refresh_history
        (pgt_id, start_time, end_time, action, status, initiated_by, error_message, reason)
    VALUES (p_pgt_id, now(), clock_timestamp(),
            CASE WHEN p_action IN ('FULL', 'DIFFERENTIAL', 'REINITIALIZE') THEN p_action ELSE 'FULL' END,
            'FAILED', v_initiated_by, p_error, p_reason);

    PERFORM pgtrickle._notify_event(jsonb_build_object(
        'event', 'refresh_failed',
        'stream_table', v_name,
        'pgt_id', p_pgt_id,
        'error', pgtrickle._event_text(p_error),
        'consecutive_errors', v_st.consecutive_errors,
        'initiated_by', v_initiated_by));
    IF v_st.status = 'SUSPENDED' AND NOT v_was_suspended THEN
        PERFORM pgtrickle._notify_event(jsonb_build_object(
            'event', 'stream_table_suspended',
            'stream_table', v_name,
            'pgt_id', p_pgt_id,
            'consecutive_errors', v_st.consecutive_errors,
            'last_error', pgtrickle._event_text(p_error)));
    END IF;
END
$$;
REVOKE ALL ON FUNCTION pgtrickle._apply_refresh_failure(bigint, text, text, integer, text, text) FROM PUBLIC;
