-- Differential refresh: installing a compiled plan and executing it (DESIGN sections 3 and 4).
--
-- The IVM compiler (Java, module ivm) turns the canonical defining query into a plan (jsonb):
--   normalized_query  the definition it was compiled from
--   strategy          CONTENT | AGGREGATE | GROUP_RESCAN
--   columns           storage columns the populate query produces, visible ones first
--   hidden_columns    the __pgt_ columns among them
--   identity_columns  the columns identifying a row (unique index, MERGE key)
--   populate          query computing the full contents, hidden columns included
--   refresh           one MERGE statement applying the changes since frontier $1
--   sources           oids of the relations whose change buffers the refresh reads
-- Plans run inside PostgreSQL, as the caller, like the FULL refresh.

-- Copy numbers from..to of a row. STRICT and ROWS 1 on purpose: a strict function is not
-- inlined, so the planner keeps the estimate of one row per call (see the content strategy).
CREATE OR REPLACE FUNCTION pgtrickle._copies(p_from bigint, p_to bigint) RETURNS SETOF integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 1 AS 'SELECT pg_catalog.generate_series($1, $2)::integer';

-- Called once inside a plan's refresh statement, with that statement's snapshot: remembers the
-- new frontier and the row counts for the caller (transaction-local settings), and stops the
-- refresh when a source was truncated since the old frontier (PT001: the caller reinitializes)
-- or when the INSERT-only path met changes that are not insertions (PT002: the caller applies
-- them with the MERGE instead).
DROP FUNCTION IF EXISTS pgtrickle._remember_refresh(pg_snapshot, xid8, boolean, bigint, bigint, bigint);
CREATE OR REPLACE FUNCTION pgtrickle._remember_refresh(
    p_snapshot pg_snapshot, p_own xid8, p_truncated boolean,
    p_inserted bigint, p_updated bigint, p_deleted bigint, p_not_insert_only boolean DEFAULT false)
RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_truncated THEN
        RAISE EXCEPTION 'a source was truncated: the stream table must be reinitialized'
            USING ERRCODE = 'PT001';
    END IF;
    IF p_not_insert_only THEN
        RAISE EXCEPTION 'the changes of an append-only stream table contain deletions'
            USING ERRCODE = 'PT002';
    END IF;
    PERFORM set_config('pgtrickle.refresh_frontier', pgtrickle._frontier_of(p_snapshot, p_own)::text, true);
    PERFORM set_config('pgtrickle.refresh_counts', concat_ws(',', p_inserted, p_updated, p_deleted), true);
    RETURN true;
END
$$;

-- Raised from a refresh statement when applying the changes would leave a row with a negative
-- multiplicity: the stored contents and the changes disagree, which must never happen.
-- A truncated source explains any count and is handled by reinitializing (see
-- _remember_refresh), so then this returns NULL (no action) instead.
DROP FUNCTION IF EXISTS pgtrickle._negative_multiplicity(text);
CREATE OR REPLACE FUNCTION pgtrickle._negative_multiplicity(p_detail text, p_truncated boolean) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    IF p_truncated THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'differential refresh would make a row multiplicity negative (%)', p_detail
        USING ERRCODE = 'data_corrupted',
              HINT = 'Please report this; a FULL refresh (alter_stream_table(refresh_mode => ''FULL'')) repairs the table.';
END
$$;

-- How a stream table is refreshed, from what was asked, what its query calls and what the
-- compiler said. Raises when DIFFERENTIAL was asked and cannot be had.
CREATE OR REPLACE FUNCTION pgtrickle._mode_decision(
    p_display_name text, p_refresh_mode text, p_volatile_functions text[],
    p_compile_status text, p_compile_error text,
    OUT effective_mode text, OUT mode_reason text, OUT compile_status text)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    effective_mode := 'FULL';
    compile_status := coalesce(p_compile_status, 'PENDING');
    IF p_refresh_mode = 'FULL' THEN
        IF compile_status = 'PENDING' THEN
            compile_status := 'NOT_NEEDED';
        END IF;
        RETURN;
    END IF;
    IF cardinality(p_volatile_functions) > 0 THEN
        IF p_refresh_mode = 'DIFFERENTIAL' THEN
            RAISE EXCEPTION 'stream table "%" cannot be DIFFERENTIAL: its query calls the volatile function(s) %',
                p_display_name, array_to_string(p_volatile_functions, ', ')
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Use refresh_mode => ''FULL'' (or ''AUTO''), or replace the volatile function.';
        END IF;
        mode_reason := 'volatile function(s) ' || array_to_string(p_volatile_functions, ', ')
                       || ': refreshed FULL';
        compile_status := 'NOT_NEEDED';
        RETURN;
    END IF;
    IF compile_status = 'COMPILED' THEN
        effective_mode := 'DIFFERENTIAL';
    ELSIF compile_status = 'UNSUPPORTED' THEN
        IF p_refresh_mode = 'DIFFERENTIAL' THEN
            RAISE EXCEPTION 'stream table "%" cannot be DIFFERENTIAL: %', p_display_name, p_compile_error
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Use refresh_mode => ''AUTO'' (falls back to FULL) or ''FULL''.';
        END IF;
        mode_reason := 'not differentiable: ' || p_compile_error || '; refreshed FULL';
    ELSE
        compile_status := 'PENDING';
        mode_reason := 'waiting for the differential compiler (pgtrickle compile): refreshed FULL';
    END IF;
END
$$;

-- Catalog owner part of installing a plan or recording that there can be none.
CREATE OR REPLACE FUNCTION pgtrickle._store_compile_result(
    p_pgt_id bigint, p_plan jsonb, p_compile_status text, p_compile_error text,
    p_effective_mode text, p_mode_reason text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id);
    UPDATE pgtrickle.pgt_stream_tables
    SET plan = p_plan, compile_status = p_compile_status, compile_error = p_compile_error,
        effective_mode = p_effective_mode, mode_reason = p_mode_reason
    WHERE pgt_id = p_pgt_id;
END
$$;

-- Lets a role read a source's change buffer if it may read the source itself.
CREATE OR REPLACE FUNCTION pgtrickle._grant_buffer_access(p_source oid, p_role oid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_buffer name;
BEGIN
    SELECT buffer_table INTO v_buffer FROM pgtrickle.pgt_change_sources WHERE source_relid = p_source;
    IF NOT FOUND OR pg_has_role(p_role, current_user, 'USAGE') THEN
        RETURN;
    END IF;
    IF NOT has_table_privilege(p_role, p_source, 'SELECT') THEN
        RAISE EXCEPTION 'role % may not read table %, so it may not read its changes', p_role::regrole, p_source::regclass
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    EXECUTE format('GRANT SELECT ON pgtrickle_changes.%I TO %I', v_buffer, p_role::regrole::text);
END
$$;

-- Installs a compiled plan: hidden columns and identity index on the storage table, the plan in
-- the catalog, and the contents recomputed under one snapshot. Runs as the caller, in the
-- caller's transaction; called by the compiler (pgtrickle compile, the daemon).
CREATE OR REPLACE FUNCTION pgtrickle._install_plan(p_name text, p_plan jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(p_name);
    v_storage regclass;
    v_owner oid;
    v_hidden text;
    v_column record;
    v_decision record;
    v_source oid;
BEGIN
    v_st := pgtrickle._locked(v_st.pgt_id);
    v_storage := pgtrickle._storage_of(v_st);
    IF p_plan ->> 'normalized_query' IS DISTINCT FROM v_st.normalized_query THEN
        RAISE EXCEPTION 'the plan was compiled for another definition of stream table %', v_storage
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Compile it again.';
    END IF;
    v_decision := pgtrickle._mode_decision(v_storage::text, v_st.refresh_mode, '{}', 'COMPILED', NULL);

    -- Hidden columns get the types PostgreSQL infers for the populate query.
    PERFORM pgtrickle._drop_hidden_columns(v_storage);
    EXECUTE format(E'CREATE TEMPORARY VIEW __pgt_plan_probe AS %s\n', p_plan ->> 'populate');
    FOR v_column IN
        SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type
        FROM pg_attribute a
        WHERE a.attrelid = 'pg_temp.__pgt_plan_probe'::regclass AND a.attnum > 0
          AND a.attname IN (SELECT jsonb_array_elements_text(p_plan -> 'hidden_columns'))
        ORDER BY a.attnum
    LOOP
        EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s', v_storage, v_column.attname, v_column.type);
    END LOOP;
    EXECUTE 'DROP VIEW pg_temp.__pgt_plan_probe';
    SELECT string_agg(quote_ident(c), ', ') INTO v_hidden
    FROM jsonb_array_elements_text(p_plan -> 'identity_columns') AS c;
    -- Checked at the end of each statement, not per row: a FULL refresh deletes and re-inserts
    -- rows with the same identity in one statement, in an order PostgreSQL does not specify.
    -- Named after the table's oid: names are per schema and table names may share long prefixes.
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I UNIQUE (%s) DEFERRABLE INITIALLY IMMEDIATE',
                   v_storage, '__pgt_identity_' || v_st.pgt_relid, v_hidden);

    SELECT relowner INTO v_owner FROM pg_class WHERE oid = v_storage;
    FOR v_source IN SELECT jsonb_array_elements_text(p_plan -> 'sources')::oid LOOP
        PERFORM pgtrickle._grant_buffer_access(v_source, v_owner);
    END LOOP;

    PERFORM pgtrickle._store_compile_result(v_st.pgt_id, p_plan, 'COMPILED', NULL,
                                            v_decision.effective_mode, v_decision.mode_reason);
    PERFORM pgtrickle._full_refresh(v_st.pgt_id, 'COMPILE');
END
$$;

-- Records that the compiler cannot refresh the stream table differentially, and why.
CREATE OR REPLACE FUNCTION pgtrickle._mark_unsupported(p_name text, p_reason text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(p_name);
    v_decision record;
BEGIN
    PERFORM pgtrickle._lock_storage(v_st);
    v_decision := pgtrickle._mode_decision(pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name),
                                          v_st.refresh_mode, '{}', 'UNSUPPORTED', p_reason);
    PERFORM pgtrickle._drop_hidden_columns(pgtrickle._storage_of(v_st));
    PERFORM pgtrickle._store_compile_result(v_st.pgt_id, NULL, 'UNSUPPORTED', p_reason,
                                            v_decision.effective_mode, v_decision.mode_reason);
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._drop_hidden_columns(p_storage regclass) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_column name;
BEGIN
    FOR v_column IN
        SELECT attname FROM pg_attribute
        WHERE attrelid = p_storage AND attnum > 0 AND NOT attisdropped AND attname ~ '^__pgt_'
    LOOP
        EXECUTE format('ALTER TABLE %s DROP COLUMN %I', p_storage, v_column);
    END LOOP;
END
$$;

-- Applies the changes since the frontier with the plan's one MERGE statement (I2: the delta,
-- every base-table read and the new frontier share that statement's snapshot).
CREATE OR REPLACE FUNCTION pgtrickle._differential_refresh(p_pgt_id bigint, p_initiated_by text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_start timestamptz := clock_timestamp();
    v_st pgtrickle.pgt_stream_tables;
    v_data_time timestamptz;
    v_counts bigint[];
    v_statement text;
BEGIN
    v_st := pgtrickle._locked(p_pgt_id);
    IF v_st.plan IS NULL OR v_st.effective_mode <> 'DIFFERENTIAL' OR v_st.frontier IS NULL THEN
        PERFORM pgtrickle._full_refresh(p_pgt_id, p_initiated_by);
        RETURN;
    END IF;
    PERFORM set_config('pgtrickle.refresh_frontier', '', true);
    v_data_time := clock_timestamp();
    -- Append-only stream tables first try the plain INSERT; the plan names the storage table by a
    -- placeholder, since the table may have been renamed.
    v_statement := CASE WHEN v_st.append_only THEN v_st.plan ->> 'refresh_insert_only' END;
    BEGIN
        BEGIN
            EXECUTE replace(coalesce(v_statement, v_st.plan ->> 'refresh'), '"__pgt_storage__"',
                            v_st.pgt_relid::regclass::text)
                USING v_st.frontier, v_st.frontier_own_xid, v_st.frontier_own_seq;
        EXCEPTION WHEN SQLSTATE 'PT002' THEN
            RAISE NOTICE 'stream table % is declared append-only but its sources had deletions or updates',
                v_st.pgt_relid::regclass;
            EXECUTE replace(v_st.plan ->> 'refresh', '"__pgt_storage__"', v_st.pgt_relid::regclass::text)
                USING v_st.frontier, v_st.frontier_own_xid, v_st.frontier_own_seq;
        END;
    EXCEPTION
        WHEN SQLSTATE 'PT001' THEN
            PERFORM pgtrickle._full_refresh(p_pgt_id, p_initiated_by);
            RETURN;
        WHEN data_exception THEN
            -- Delta terms evaluate expressions on rows that cancel out (inserted then changed
            -- within one window) and on join combinations that never coexisted, where e.g. a
            -- division by zero may fail that the query itself never evaluates. The FULL refresh
            -- decides: if it fails too, the error is real.
            RAISE NOTICE 'differential refresh of % failed (%), refreshing FULL instead',
                v_st.pgt_relid::regclass, SQLERRM;
            PERFORM pgtrickle._full_refresh(p_pgt_id, p_initiated_by);
            RETURN;
    END;
    IF current_setting('pgtrickle.refresh_frontier') = '' THEN
        RAISE EXCEPTION 'the refresh statement of stream table % did not report its snapshot', v_st.pgt_relid::regclass
            USING ERRCODE = 'internal_error';
    END IF;
    v_counts := string_to_array(current_setting('pgtrickle.refresh_counts'), ',')::bigint[];
    PERFORM pgtrickle._complete_refresh(p_pgt_id, current_setting('pgtrickle.refresh_frontier')::pg_snapshot,
                                        v_data_time, 'DIFFERENTIAL', v_counts[1], v_counts[3], v_start,
                                        p_initiated_by, v_counts[2]);
END
$$;
