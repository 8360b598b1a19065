-- Differential refresh: installing a compiled plan and executing it (docs/architecture.md,
-- "Differential refresh").
--
-- The IVM compiler (Java, module ivm) turns the canonical defining query into a plan (jsonb);
-- the Java side of this contract is ivm's CompiledPlan and PlanContract (PlanContractTest checks
-- that this SQL reads every field):
--   format            layout version of the plan (1)
--   normalized_query  the definition it was compiled from
--   strategy          CONTENT | KEYED | AGGREGATE | GROUP_RESCAN | TOP_K | PARTITION_RESCAN
--   columns           storage columns the populate query produces, visible ones first
--   hidden_columns    the __pgt_ columns among them
--   identity_columns  the columns identifying a row (unique index, MERGE key)
--   populate          query computing the full contents, hidden columns included
--   refresh           one MERGE statement applying the changes since frontier $1, the storage
--                     table written as "__pgt_storage__"
--   refresh_insert_only  the same changes as a plain INSERT, for append-only stream tables
--   sources           oids of the relations whose change buffers the refresh reads
--   operators         the operator tree for explain: depth, operator, strategy
-- Plans run inside PostgreSQL, as the caller, like the FULL refresh.

-- Copy numbers from..to of a row. STRICT and ROWS 1 on purpose: a strict function is not
-- inlined, so the planner keeps the estimate of one row per call (see the content strategy).
CREATE OR REPLACE FUNCTION pgtrickle._copies(p_from bigint, p_to bigint) RETURNS SETOF integer
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 1 AS 'SELECT pg_catalog.generate_series($1, $2)::integer';

-- Called once inside a plan's refresh statement, with that statement's snapshot: remembers the
-- new frontier, the row counts, the number of change rows read and the oldest transaction among
-- them (plans compiled before they were passed leave them NULL) for the caller
-- (transaction-local settings), and stops the
-- refresh when a source was truncated since the old frontier (PT001: the caller reinitializes)
-- or when the INSERT-only path met changes that are not insertions (PT002: the caller applies
-- them with the MERGE instead).
DROP FUNCTION IF EXISTS pgtrickle._remember_refresh(pg_snapshot, xid8, boolean, bigint, bigint, bigint);
DROP FUNCTION IF EXISTS pgtrickle._remember_refresh(pg_snapshot, xid8, boolean, bigint, bigint, bigint, boolean);
DROP FUNCTION IF EXISTS pgtrickle._remember_refresh(pg_snapshot, xid8, boolean, bigint, bigint, bigint, boolean, bigint);
CREATE OR REPLACE FUNCTION pgtrickle._remember_refresh(
    p_snapshot pg_snapshot, p_own xid8, p_truncated boolean,
    p_inserted bigint, p_updated bigint, p_deleted bigint, p_not_insert_only boolean DEFAULT false,
    p_consumed bigint DEFAULT NULL, p_oldest xid8 DEFAULT NULL)
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
    PERFORM set_config('pgtrickle.refresh_consumed', coalesce(p_consumed::text, ''), true);
    PERFORM set_config('pgtrickle.refresh_oldest', coalesce(p_oldest::text, ''), true);
    RETURN true;
END
$$;

-- Raised from a refresh statement when a change brings NaN or an infinity into a sum that is
-- kept by adding and subtracting (they do not cancel: NaN - NaN is NaN). data_exception class:
-- the differential refresh falls back to FULL, which computes the sum from the rows, and records
-- the reason.
CREATE OR REPLACE FUNCTION pgtrickle._not_finite(p_sum anyelement) RETURNS anyelement
LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
    RAISE EXCEPTION 'a change brings % into a sum that is kept by adding and subtracting', p_sum
        USING ERRCODE = 'numeric_value_out_of_range';
END
$$;

-- Raised from a refresh statement when a recursive query's changes are still being carried down
-- its recursion after p_steps steps: a change made a cycle its rows do not reach, around which a
-- removed row and its re-added copy would chase each other forever (docs/architecture.md,
-- "Recursive queries"). data_exception class (22PT1, of its own: an IMMEDIATE statement recomputes
-- on it alone): the refresh runs FULL instead, with this reason.
-- VOLATILE: an immutable call with constant arguments would be evaluated, and raise, at planning.
CREATE OR REPLACE FUNCTION pgtrickle._recursion_unsettled(p_steps integer) RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'the changes of a recursive query did not settle within % steps (a cycle?)', p_steps
        USING ERRCODE = '22PT1';
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

-- What a group key's hash leaves out of its identity (docs/architecture.md, "Row identity"):
-- PostgreSQL hashes a numeric without its sign, and NaN and both infinities alike, so x and -x
-- would share one identity. The sign (2 for NaN) goes into the hashed row besides the value;
-- every other type adds 0. The integer overloads keep an integer's call from being ambiguous
-- between numeric and anyelement.
CREATE OR REPLACE FUNCTION pgtrickle._key_sign(p_value numeric) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN pg_catalog.numeric_eq(p_value, 'NaN'::numeric) THEN 2 ELSE pg_catalog.sign(p_value)::integer END
$$;
CREATE OR REPLACE FUNCTION pgtrickle._key_sign(p_value smallint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 0 $$;
CREATE OR REPLACE FUNCTION pgtrickle._key_sign(p_value integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 0 $$;
CREATE OR REPLACE FUNCTION pgtrickle._key_sign(p_value bigint) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 0 $$;
CREATE OR REPLACE FUNCTION pgtrickle._key_sign(p_value anyelement) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT 0 $$;

-- One value of the rows of a group, for columns that every row of the group holds alike (the
-- columns of a row netted by its identity): hash aggregation by the identity alone instead of
-- sorting by it (docs/architecture.md, "Netting by identity"). PostgreSQL 16's any_value, for
-- every supported version. Strict, without an initial state: the first non-NULL value becomes the
-- state without a call, so the function runs only for a group's second row and later (a row and
-- the change cancelling it). It references nothing: no search_path to pin.
CREATE OR REPLACE FUNCTION pgtrickle._first_value(p_state anyelement, p_value anyelement) RETURNS anyelement
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ SELECT p_state $$;
CREATE OR REPLACE AGGREGATE pgtrickle._any_value(anyelement) (
    SFUNC = pgtrickle._first_value, STYPE = anyelement,
    COMBINEFUNC = pgtrickle._first_value, PARALLEL = SAFE);

-- The clock of moving time windows (docs/architecture.md, "Moving time windows"): the time a
-- refresh computes a stream table's query at, which the compiler writes for the query's now(),
-- CURRENT_TIMESTAMP, CURRENT_DATE and LOCALTIMESTAMP. now(), the refreshing transaction's start
-- as the query would read it there, unless pgtrickle.test_clock holds a time: tests move a window
-- without waiting for it. Inlined (plain SQL, qualified names, no SET): a refresh statement's
-- index range reads it once.
CREATE OR REPLACE FUNCTION pgtrickle._clock() RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(nullif(pg_catalog.current_setting('pgtrickle.test_clock', true), '')::timestamptz,
                    pg_catalog.now())
$$;

-- The time the stored contents were computed at, for the refresh statement running now (set by
-- _differential_refresh).
CREATE OR REPLACE FUNCTION pgtrickle._clock_old() RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT pg_catalog.current_setting('pgtrickle.clock_old')::timestamptz
$$;

-- The readings of the clock a differential refresh maintains (phrases of _unstable_functions):
-- compared with columns in WHERE, they make a moving time window; the compiler refuses other uses.
CREATE OR REPLACE FUNCTION pgtrickle._beyond_clock(p_unstable text[]) RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(array_agg(u ORDER BY n), '{}') FROM unnest(p_unstable) WITH ORDINALITY AS x(u, n)
    WHERE u NOT IN ('now() reads the clock', 'transaction_timestamp() reads the clock',
                    'CURRENT_TIMESTAMP reads the clock', 'CURRENT_DATE reads the clock',
                    'LOCALTIMESTAMP reads the clock')
$$;

-- When a row next enters or leaves the moving time window of a stream table's query, after its
-- latest refresh (the plan's clock_due query, run as the caller, prepared: see _prepared); NULL
-- when none will until a source changes, or when that cannot be told (then every scheduled
-- refresh runs).
CREATE OR REPLACE FUNCTION pgtrickle._next_clock_change(p_st pgtrickle.pgt_stream_tables) RETURNS timestamptz
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_due timestamptz;
    v_sql text;
    v_name text;
BEGIN
    IF p_st.plan ->> 'clock_due' IS NULL THEN
        RETURN NULL;
    END IF;
    v_sql := pgtrickle._plan_statement(p_st, p_st.plan ->> 'clock_due');
    v_name := pgtrickle._prepared(p_st.pgt_id, 'clock_due', v_sql, NULL);
    IF v_name IS NULL THEN
        EXECUTE v_sql INTO v_due;
        RETURN v_due;
    END IF;
    BEGIN
        EXECUTE format('EXECUTE %I', v_name) INTO v_due;
    EXCEPTION WHEN invalid_sql_statement_name THEN
        -- Deallocated behind _prepared's memory (a read: no subtransaction id is spent here).
        PERFORM pgtrickle._forget_prepared(p_st.pgt_id);
        EXECUTE format('EXECUTE %I', pgtrickle._prepared(p_st.pgt_id, 'clock_due', v_sql, NULL)) INTO v_due;
    END;
    RETURN v_due;
END
$$;

-- Whether the contents of a stream table reading the clock are still what its query gives now,
-- as far as time goes: its window is maintained, and no row has entered or left it since the
-- latest refresh (nor did the clock go back, which only a test clock does).
-- (PL/pgSQL: its body is checked when it runs, so that an install stopped at a catalog version
-- without these columns, as upgrade tests make, can create it.)
DROP FUNCTION IF EXISTS pgtrickle._clock_settled(pgtrickle.pgt_stream_tables);
CREATE OR REPLACE FUNCTION pgtrickle._clock_settled(p_st pgtrickle.pgt_stream_tables) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN p_st.effective_mode = 'DIFFERENTIAL' AND coalesce((p_st.plan ->> 'reads_clock')::boolean, false)
       AND p_st.plan ->> 'clock_due' IS NOT NULL AND p_st.clock_frontier IS NOT NULL
       AND pgtrickle._clock() >= p_st.clock_frontier
       AND (p_st.clock_next_due IS NULL OR p_st.clock_next_due > pgtrickle._clock());
END
$$;

-- How a stream table is refreshed, from what was asked, what its query calls (p_unstable_functions,
-- see _unstable_functions) and what the compiler said. Raises when DIFFERENTIAL was asked and
-- cannot be had.
DROP FUNCTION IF EXISTS pgtrickle._mode_decision(text, text, text[], text, text);
CREATE OR REPLACE FUNCTION pgtrickle._mode_decision(
    p_display_name text, p_refresh_mode text, p_unstable_functions text[],
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
    -- Maintained inside the statements on its source: by the compiled plan's IMMEDIATE
    -- statements, or by recomputing the query (see R__45_immediate.sql).
    IF p_refresh_mode = 'IMMEDIATE' THEN
        IF cardinality(p_unstable_functions) > 0 THEN
            RAISE EXCEPTION 'stream table "%" cannot be IMMEDIATE: its result can change while no statement changes its source: %',
                p_display_name, array_to_string(p_unstable_functions, ', ')
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Use a scheduled refresh_mode (''AUTO'', ''DIFFERENTIAL'' or ''FULL'').';
        END IF;
        effective_mode := 'IMMEDIATE';
        mode_reason := CASE compile_status
            WHEN 'COMPILED' THEN NULL
            WHEN 'UNSUPPORTED' THEN 'recomputed at every statement on its source: not differentiable: ' || p_compile_error
            ELSE 'recomputed at every statement on its source until the differential compiler (pgtrickle compile) has compiled it' END;
        RETURN;
    END IF;
    -- The clock compared with columns is maintained: the compiler decides (and says why not).
    p_unstable_functions := pgtrickle._beyond_clock(p_unstable_functions);
    IF cardinality(p_unstable_functions) > 0 THEN
        IF p_refresh_mode = 'DIFFERENTIAL' THEN
            RAISE EXCEPTION 'stream table "%" cannot be DIFFERENTIAL: its result can change while no source changes: %',
                p_display_name, array_to_string(p_unstable_functions, ', ')
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Use refresh_mode => ''FULL'' (or ''AUTO''), which recomputes it at every refresh.';
        END IF;
        mode_reason := array_to_string(p_unstable_functions, ', ') || ': refreshed FULL';
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
    v_kept record;
    v_index regclass;
    v_indexed record;
BEGIN
    -- Hidden columns are added below (see _lock_storage).
    PERFORM pgtrickle._lock_storage(v_st, 'ACCESS EXCLUSIVE');
    v_st := pgtrickle._locked(v_st.pgt_id);
    v_storage := pgtrickle._storage_of(v_st);
    IF (p_plan ->> 'format')::int IS DISTINCT FROM 1 THEN
        RAISE EXCEPTION 'plan format % of stream table % is not the one this catalog runs (1)',
            p_plan ->> 'format', v_storage
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Compile it with the pgtrickle version that installed this catalog.';
    END IF;
    IF p_plan ->> 'normalized_query' IS DISTINCT FROM v_st.normalized_query THEN
        RAISE EXCEPTION 'the plan was compiled for another definition of stream table %', v_storage
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Compile it again.';
    END IF;
    IF v_st.publication_key IS NOT NULL
       AND ARRAY(SELECT jsonb_array_elements_text(coalesce(p_plan -> 'output_key', '[]')))::name[] IS DISTINCT FROM v_st.publication_key THEN
        RAISE EXCEPTION 'stream table % is published with the key (%), which its new plan does not have',
            v_storage, array_to_string(v_st.publication_key, ', ')
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Unpublish it (pgtrickle.drop_stream_table_publication) and publish it again.';
    END IF;
    v_decision := pgtrickle._mode_decision(v_storage::text, v_st.refresh_mode, '{}', 'COMPILED', NULL);
    IF v_st.refresh_mode = 'IMMEDIATE' AND p_plan ->> 'immediate_refusal' IS NOT NULL THEN
        v_decision.mode_reason := 'recomputed at every statement on its source: ' || (p_plan ->> 'immediate_refusal');
    ELSIF v_st.refresh_mode = 'IMMEDIATE' AND p_plan ->> 'immediate_serialization' IS NOT NULL THEN
        v_decision.mode_reason := 'writers of its sources take turns: ' || (p_plan ->> 'immediate_serialization');
    END IF;

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
    -- Window rows are found by their partition when it is computed again (PARTITION_RESCAN).
    IF p_plan -> 'hidden_columns' ? '__pgt_part' THEN
        EXECUTE format('CREATE INDEX %I ON %s (__pgt_part)', '__pgt_part_' || v_st.pgt_relid, v_storage);
    END IF;
    -- Indexes the refresh reads stored rows by (a recursive query's old result, by the columns its
    -- step joins on); those of an earlier plan go first.
    FOR v_index IN SELECT i.indexrelid::regclass FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
                   WHERE i.indrelid = v_storage AND c.relname LIKE '\_\_pgt\_index\_%' LOOP
        EXECUTE format('DROP INDEX %s', v_index);
    END LOOP;
    FOR v_indexed IN SELECT k.columns, k.n
                     FROM jsonb_array_elements(coalesce(p_plan -> 'indexes', '[]')) WITH ORDINALITY AS k(columns, n) LOOP
        EXECUTE format('CREATE INDEX %I ON %s (%s)', '__pgt_index_' || v_st.pgt_relid || '_' || v_indexed.n, v_storage,
                       (SELECT string_agg(quote_ident(c), ', ') FROM jsonb_array_elements_text(v_indexed.columns) AS c));
    END LOOP;
    -- Strategies that update stored rows in place leave room on each page for an update to stay
    -- on its page (a HOT update: no new index entries); the FULL refresh below writes the pages so.
    -- A fillfactor the owner set stays.
    IF p_plan ->> 'strategy' IN ('KEYED', 'AGGREGATE', 'GROUP_RESCAN', 'PARTITION_RESCAN')
       AND NOT EXISTS (SELECT 1 FROM pg_class c, unnest(c.reloptions) AS o
                       WHERE c.oid = v_storage AND o LIKE 'fillfactor=%') THEN
        EXECUTE format('ALTER TABLE %s SET (fillfactor = 85)', v_storage);
    END IF;

    -- Kept-state tables get the types PostgreSQL infers for their fill queries, and the indexes the plan asks for.
    PERFORM pgtrickle._drop_kept_states(v_st.pgt_id);
    FOR v_kept IN SELECT k.state, k.n FROM jsonb_array_elements(p_plan -> 'kept_states') WITH ORDINALITY AS k(state, n) LOOP
        EXECUTE format(E'CREATE TEMPORARY VIEW __pgt_kept_probe AS %s\n', v_kept.state ->> 'fill');
        PERFORM pgtrickle._create_kept_state(v_st.pgt_id, v_kept.n::integer,
            array_agg(a.attname ORDER BY a.attnum), array_agg(a.atttypid ORDER BY a.attnum),
            array_agg(a.atttypmod ORDER BY a.attnum),
            ARRAY(SELECT jsonb_array_elements_text(coalesce(v_kept.state -> 'indexed', '[]')))::name[],
            ARRAY(SELECT jsonb_array_elements_text(coalesce(v_kept.state -> 'indexed_sums', '[]')))::name[])
        FROM pg_attribute a WHERE a.attrelid = 'pg_temp.__pgt_kept_probe'::regclass AND a.attnum > 0;
        EXECUTE 'DROP VIEW pg_temp.__pgt_kept_probe';
    END LOOP;

    SELECT relowner INTO v_owner FROM pg_class WHERE oid = v_storage;
    FOR v_source IN SELECT jsonb_array_elements_text(p_plan -> 'sources')::oid LOOP
        PERFORM pgtrickle._grant_buffer_access(v_source, v_owner);
    END LOOP;

    PERFORM pgtrickle._store_compile_result(v_st.pgt_id, p_plan, 'COMPILED', NULL,
                                            v_decision.effective_mode, v_decision.mode_reason);
    PERFORM pgtrickle._full_refresh(v_st.pgt_id, 'COMPILE');
    IF v_st.refresh_mode = 'IMMEDIATE' THEN
        PERFORM pgtrickle._install_immediate(v_st.pgt_id);
    END IF;
END
$$;

-- Records that the compiler cannot refresh the stream table differentially, and why. Under AUTO
-- it is refreshed FULL from now on, with the reason in mode_reason. An explicit DIFFERENTIAL
-- cannot be honoured: the stream table goes to status ERROR (last_error, a stream_table_error
-- event) instead of quietly running FULL, and the result is true.
DROP FUNCTION IF EXISTS pgtrickle._mark_unsupported(text, text);
CREATE OR REPLACE FUNCTION pgtrickle._mark_unsupported(p_name text, p_reason text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(p_name);
    v_display text := pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name);
    v_decision record;
BEGIN
    PERFORM pgtrickle._immediate_epoch_first(v_st);
    -- A previous plan's hidden columns are dropped below (see _lock_storage).
    PERFORM pgtrickle._lock_storage(v_st, CASE WHEN v_st.plan IS NULL THEN 'SHARE ROW EXCLUSIVE'
                                               ELSE 'ACCESS EXCLUSIVE' END);
    PERFORM pgtrickle._drop_hidden_columns(pgtrickle._storage_of(v_st));
    PERFORM pgtrickle._drop_kept_states(v_st.pgt_id);
    IF v_st.refresh_mode = 'DIFFERENTIAL' THEN
        PERFORM pgtrickle._store_compile_result(v_st.pgt_id, NULL, 'UNSUPPORTED', p_reason, 'FULL',
                                                'cannot be DIFFERENTIAL: ' || p_reason);
        PERFORM pgtrickle._mark_error(v_st.pgt_id, format(
            'stream table %s cannot be refreshed DIFFERENTIAL: %s; alter it to refresh_mode AUTO or FULL, or change its query',
            v_display, p_reason));
        RETURN true;
    END IF;
    v_decision := pgtrickle._mode_decision(v_display, v_st.refresh_mode, '{}', 'UNSUPPORTED', p_reason);
    PERFORM pgtrickle._store_compile_result(v_st.pgt_id, NULL, 'UNSUPPORTED', p_reason,
                                            v_decision.effective_mode, v_decision.mode_reason);
    IF v_st.refresh_mode = 'IMMEDIATE' THEN
        PERFORM pgtrickle._install_immediate(v_st.pgt_id);
    END IF;
    RETURN false;
END
$$;

-- A compile that failed (an error while recomputing the contents, a lock timeout, a lost
-- connection) rolled back; this records its error in a new transaction. The stream table stays
-- PENDING (the daemon retries with backoff), refreshed FULL meanwhile, and says why.
-- Callable by the catalog owner (the daemon) directly, by others through record_compile_failure.
CREATE OR REPLACE FUNCTION pgtrickle._apply_compile_failure(p_pgt_id bigint, p_error text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
BEGIN
    UPDATE pgtrickle.pgt_stream_tables
    SET compile_error = p_error,
        mode_reason = format('waiting for the differential compiler, whose last attempt failed (%s): refreshed FULL', p_error)
    WHERE pgt_id = p_pgt_id AND compile_status = 'PENDING'
    RETURNING * INTO v_st;
    IF FOUND THEN
        PERFORM pgtrickle._notify_event(jsonb_build_object(
            'event', 'compile_failed',
            'stream_table', pgtrickle._event_name(v_st.pgt_relid, v_st.pgt_schema, v_st.pgt_name),
            'pgt_id', p_pgt_id,
            'error', pgtrickle._event_text(p_error)));
    END IF;
END
$$;
REVOKE ALL ON FUNCTION pgtrickle._apply_compile_failure(bigint, text) FROM PUBLIC;

CREATE OR REPLACE FUNCTION pgtrickle._record_compile_failure(p_pgt_id bigint, p_error text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id);
    PERFORM pgtrickle._apply_compile_failure(p_pgt_id, p_error);
END
$$;

-- For `pgtrickle compile` run by a stream table's owner: the lock proves the right.
CREATE OR REPLACE FUNCTION pgtrickle.record_compile_failure(name text, error text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
BEGIN
    v_st := pgtrickle._locked(v_st.pgt_id);
    PERFORM pgtrickle._record_compile_failure(v_st.pgt_id, error);
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

-- Tables keeping the groups of aggregates inside a stream table's query and the rows of inputs
-- that one-row tests read (docs/architecture.md, "Kept state of aggregates inside a query",
-- "Kept rows of a tested input"): pgtrickle_changes.kept_<pgt_id>_<n>, owned by the catalog
-- owner like the change buffers, written by the refreshes (which run as the stream table's
-- owner), indexed on the identity, on the columns p_indexed and on the values of the sums
-- p_indexed_sums, as the refresh statements read them (plan.KeptIndex: NULL where the group has
-- no non-NULL value, its count column being the sum column's name with _n for _s). Created and
-- dropped only by a session holding the storage table's lock, as _claimed checks: the compiler
-- installing a plan, drop_stream_table.
DROP FUNCTION IF EXISTS pgtrickle._create_kept_state(bigint, integer, name[], oid[], integer[]);
DROP FUNCTION IF EXISTS pgtrickle._create_kept_state(bigint, integer, name[], oid[], integer[], name[]);
CREATE OR REPLACE FUNCTION pgtrickle._create_kept_state(
    p_pgt_id bigint, p_n integer, p_columns name[], p_types oid[], p_typmods integer[], p_indexed name[],
    p_indexed_sums name[])
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._claimed(p_pgt_id);
    v_table name := format('kept_%s_%s', p_pgt_id, p_n);
    v_owner oid := (SELECT relowner FROM pg_class WHERE oid = v_st.pgt_relid);
    v_definitions text;
    v_column name;
BEGIN
    IF EXISTS (SELECT 1 FROM unnest(p_columns) AS c WHERE c !~ '^__pgt_[a-z0-9_]+$')
       OR NOT p_indexed <@ p_columns
       OR EXISTS (SELECT 1 FROM unnest(p_indexed_sums) AS s
                  WHERE s !~ '^__pgt_agg_[0-9]+_s$' OR NOT ARRAY[s, left(s, -1) || 'n']::name[] <@ p_columns) THEN
        RAISE EXCEPTION 'kept state columns must be named __pgt_..., and the indexed ones among them: % (indexed %, sums %)',
            p_columns, p_indexed, p_indexed_sums
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT string_agg(format('%I %s', c.name, format_type(c.type, c.typmod)), ', ' ORDER BY c.i)
    INTO v_definitions
    FROM unnest(p_columns, p_types, p_typmods) WITH ORDINALITY AS c(name, type, typmod, i);
    -- Refreshes update rows in place without touching the indexed identity: room on each page
    -- lets PostgreSQL do that without new index entries (HOT updates).
    EXECUTE format('CREATE TABLE pgtrickle_changes.%I (%s) WITH (fillfactor = 75)', v_table, v_definitions);
    EXECUTE format('CREATE INDEX ON pgtrickle_changes.%I (__pgt_row_id)', v_table);
    FOR v_column IN SELECT unnest(p_indexed) LOOP
        EXECUTE format('CREATE INDEX ON pgtrickle_changes.%I (%I)', v_table, v_column);
    END LOOP;
    FOR v_column IN SELECT unnest(p_indexed_sums) LOOP
        EXECUTE format('CREATE INDEX ON pgtrickle_changes.%I ((CASE WHEN %I = 0 THEN NULL ELSE %I END))',
                       v_table, left(v_column, -1) || 'n', v_column);
    END LOOP;
    EXECUTE format('COMMENT ON TABLE pgtrickle_changes.%I IS %L', v_table,
        format('pgtrickle: kept state inside the query of %s', v_st.pgt_relid::regclass));
    IF NOT pg_has_role(v_owner, current_user, 'USAGE') THEN
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON pgtrickle_changes.%I TO %I', v_table, v_owner::regrole::text);
    END IF;
END
$$;

-- Kept sums count their values per display scale as digits of one number (plan.KeptGroups),
-- not through helper functions, which an earlier development version had.
DROP FUNCTION IF EXISTS pgtrickle._scale_counts(integer[], bigint[]);
DROP FUNCTION IF EXISTS pgtrickle._scale_counts_add(bigint[], bigint[]);
DROP FUNCTION IF EXISTS pgtrickle._scale_of(bigint[]);

-- The kept-state tables of a stream table, in pgtrickle_changes.
CREATE OR REPLACE FUNCTION pgtrickle._kept_tables(p_pgt_id bigint) RETURNS SETOF name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'pgtrickle_changes' AND c.relkind = 'r'
      AND c.relname ~ ('^kept_' || p_pgt_id || '_[0-9]+$')
$$;

-- Drops the kept-state tables of a stream table (a plan replaced or given up, the table dropped).
CREATE OR REPLACE FUNCTION pgtrickle._drop_kept_states(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_table name;
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id, p_storage_may_be_gone => true);
    FOR v_table IN SELECT pgtrickle._kept_tables(p_pgt_id) LOOP
        EXECUTE format('DROP TABLE pgtrickle_changes.%I', v_table);
    END LOOP;
END
$$;

-- Gathers statistics on the kept-state tables of a stream table just filled: the first
-- refreshes after a fill are planned with them (a touched group is one row, a HAVING bound
-- passes few groups) rather than with defaults that make the planner scan and hash whole
-- tables; autovacuum would come later, or never where it is off. The catalog owns the tables.
CREATE OR REPLACE FUNCTION pgtrickle._analyze_kept_states(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_table name;
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id);
    FOR v_table IN SELECT pgtrickle._kept_tables(p_pgt_id) LOOP
        EXECUTE format('ANALYZE pgtrickle_changes.%I', v_table);
    END LOOP;
END
$$;

-- A statement of a stream table's plan, ready to run: the placeholders of the storage table and
-- of the kept-state tables replaced by their names. (Plain replacements: a regular expression
-- over a statement of 25 kB took a quarter of a millisecond of every refresh.)
CREATE OR REPLACE FUNCTION pgtrickle._plan_statement(p_st pgtrickle.pgt_stream_tables, p_sql text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_sql text := replace(p_sql, '"__pgt_storage__"', p_st.pgt_relid::regclass::text);
BEGIN
    FOR v_n IN 1..coalesce(jsonb_array_length(p_st.plan -> 'kept_states'), 0) LOOP
        v_sql := replace(v_sql, format('"__pgt_kept_%s__"', v_n), format('pgtrickle_changes."kept_%s_%s"', p_st.pgt_id, v_n));
    END LOOP;
    RETURN v_sql;
END
$$;

-- The AUTO cost model's threshold: a source whose pending changes exceed this fraction of its
-- rows makes the refresh FULL. A custom setting, so it can be set per session, role or
-- database (ALTER DATABASE ... SET pgtrickle.auto_full_ratio = '0.3').
CREATE OR REPLACE FUNCTION pgtrickle._auto_full_ratio() RETURNS numeric
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_setting text := btrim(current_setting('pgtrickle.auto_full_ratio', true));
BEGIN
    IF v_setting IS NULL OR v_setting = '' THEN
        RETURN 0.15;
    END IF;
    -- A plain non-negative number; checked by pattern rather than by a failing cast, which
    -- would cost a subtransaction on every refresh.
    IF v_setting !~ '^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]{1,3})?$' THEN
        RAISE EXCEPTION 'invalid value for setting pgtrickle.auto_full_ratio: "%"', v_setting
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Expected a fraction of a source''s rows such as 0.15 (the default, 15%); 0 refreshes FULL whenever anything changed.';
    END IF;
    RETURN v_setting::numeric;
END
$$;

-- Whether AUTO's cost model is on (setting pgtrickle.auto_cost_model, default on). Off, AUTO
-- refreshes differentially whenever a plan allows, like DIFFERENTIAL but still falling back to
-- FULL for queries that cannot have a plan.
CREATE OR REPLACE FUNCTION pgtrickle._auto_cost_model() RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_setting text := lower(btrim(current_setting('pgtrickle.auto_cost_model', true)));
BEGIN
    IF v_setting IS NULL OR v_setting IN ('', 'on', 'true', 'yes', '1') THEN
        RETURN true;
    ELSIF v_setting IN ('off', 'false', 'no', '0') THEN
        RETURN false;
    END IF;
    RAISE EXCEPTION 'invalid value for setting pgtrickle.auto_cost_model: "%"',
        current_setting('pgtrickle.auto_cost_model', true)
        USING ERRCODE = 'invalid_parameter_value', HINT = 'Expected on or off.';
END
$$;

-- A fraction as a short percentage for reasons: 0.15 -> 15%, 0.000012 -> <0.01%.
CREATE OR REPLACE FUNCTION pgtrickle._percent(p_fraction numeric) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN p_fraction > 0 AND p_fraction < 0.0001 THEN '<0.01%'
                ELSE trim_scale(round(p_fraction * 100, 2))::text || '%' END
$$;

-- Changes waiting for a stream table in the buffers of its sources, per source, with
-- the source's estimated rows (pg_class.reltuples; -1 when not analyzed yet). Counting stops
-- just past p_ratio of the source's rows (over_ratio), so that deciding for a FULL refresh
-- never scans a huge buffer; the first source over the ratio ends the list. Runs as the caller,
-- like the differential refresh it precedes, which reads the same buffers.
CREATE OR REPLACE FUNCTION pgtrickle._pending_changes(
    p_pgt_id bigint, p_frontier pg_snapshot, p_own_xid xid8, p_own_seq bigint, p_ratio numeric)
RETURNS TABLE (source text, source_rows double precision, pending bigint, over_ratio boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_source record;
    v_cap bigint;
BEGIN
    FOR v_source IN
        SELECT cs.source_relid, cs.buffer_table, c.reltuples, c.relhassubclass
        FROM pgtrickle.pgt_dependencies d
        JOIN pgtrickle.pgt_change_sources cs USING (source_relid)
        JOIN pg_class c ON c.oid = cs.source_relid
        WHERE d.pgt_id = p_pgt_id
    LOOP
        source := v_source.source_relid::regclass::text;
        source_rows := v_source.reltuples;
        IF v_source.relhassubclass THEN
            -- Changes to partitions and inheritance children land in their ancestor's buffer,
            -- so they are measured against the rows of the whole tree.
            WITH RECURSIVE tree(relid) AS (
                SELECT v_source.source_relid
                UNION ALL
                SELECT i.inhrelid FROM pg_inherits i JOIN tree t ON i.inhparent = t.relid
            )
            SELECT CASE WHEN bool_or(c.reltuples < 0) THEN -1 ELSE sum(c.reltuples) END INTO source_rows
            FROM tree JOIN pg_class c ON c.oid = tree.relid
            WHERE c.relkind <> 'p';  -- partitioned tables hold no rows of their own
        END IF;
        v_cap := CASE WHEN source_rows >= 0
                      THEN least(floor(p_ratio * source_rows::numeric), 1e18)::bigint + 1 END;
        EXECUTE format('SELECT count(*) FROM (SELECT FROM pgtrickle_changes.%I b '
                       'WHERE NOT pgtrickle._covered(b.__pgt_xid, b.__pgt_seq, $1, $2, $3) LIMIT $4) AS p',
                       v_source.buffer_table)
        INTO pending USING p_frontier, p_own_xid, p_own_seq, v_cap;
        over_ratio := coalesce(pending >= v_cap, false);
        RETURN NEXT;
        IF over_ratio THEN
            RETURN;
        END IF;
    END LOOP;
END
$$;

-- Replaced by delta terms that probe indexes by construction (docs/architecture.md, "Delta rules").
DROP FUNCTION IF EXISTS pgtrickle._small_delta(pgtrickle.pgt_stream_tables);

-- How a refresh of the stream table runs now, and why: FULL without a plan or before its first
-- population; otherwise DIFFERENTIAL, unless refresh_mode is AUTO and the cost model expects
-- FULL to be cheaper:
--   ratio rule    a source's pending changes exceed pgtrickle.auto_full_ratio of its rows
--                 (a small dimension table that changed completely counts, however large the
--                 other sources are);
--   history rule  among the last 20 completed refreshes, at least 2 differential ones that
--                 consumed at least a quarter as many changes as are pending now took longer
--                 on average than the FULL ones (initial fills left out when others exist).
-- Both are skipped when nothing is pending, and all of it when pgtrickle.auto_cost_model is off.
-- Runs as the caller, under the management lock (_locked), in the refreshing transaction.
CREATE OR REPLACE FUNCTION pgtrickle._choose_refresh(
    p_st pgtrickle.pgt_stream_tables, OUT action text, OUT reason text)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_ratio numeric;
    v_source record;
    v_total bigint := 0;
    v_share numeric;
    v_max_share numeric;
    v_max_source text;
    v_history record;
BEGIN
    action := 'FULL';
    IF p_st.plan IS NULL OR p_st.effective_mode <> 'DIFFERENTIAL' THEN
        reason := p_st.mode_reason;
        RETURN;
    END IF;
    IF p_st.frontier IS NULL THEN
        reason := 'not populated yet: refreshed FULL';
        RETURN;
    END IF;
    IF (p_st.plan ->> 'reads_clock')::boolean AND p_st.clock_frontier IS NULL THEN
        reason := 'the time the contents were computed at is unknown: refreshed FULL';
        RETURN;
    END IF;
    action := 'DIFFERENTIAL';
    IF p_st.refresh_mode <> 'AUTO' THEN
        RETURN;
    END IF;
    IF NOT pgtrickle._auto_cost_model() THEN
        reason := 'AUTO: cost model off (pgtrickle.auto_cost_model)';
        RETURN;
    END IF;

    v_ratio := pgtrickle._auto_full_ratio();
    FOR v_source IN
        SELECT * FROM pgtrickle._pending_changes(p_st.pgt_id, p_st.frontier, p_st.frontier_own_xid,
                                                 p_st.frontier_own_seq, v_ratio)
    LOOP
        IF v_source.over_ratio THEN
            action := 'FULL';
            reason := format('AUTO: %s+ changes to %s (~%s rows), over the %s threshold',
                             v_source.pending, v_source.source, round(v_source.source_rows::numeric),
                             pgtrickle._percent(v_ratio));
            RETURN;
        END IF;
        v_total := v_total + v_source.pending;
        IF v_source.source_rows > 0 THEN
            v_share := v_source.pending / v_source.source_rows::numeric;
            IF v_max_share IS NULL OR v_share > v_max_share THEN
                v_max_share := v_share;
                v_max_source := v_source.source;
            END IF;
        END IF;
    END LOOP;
    IF v_total = 0 THEN
        reason := 'AUTO: no pending changes';
        RETURN;
    END IF;

    WITH recent AS (
        SELECT h.action AS done, h.initiated_by, h.changes_consumed,
               extract(epoch FROM h.end_time - h.start_time) * 1000 AS ms
        FROM pgtrickle.pgt_refresh_history h
        WHERE h.pgt_id = p_st.pgt_id AND h.status = 'COMPLETED'
        ORDER BY h.refresh_id DESC
        LIMIT 20
    ),
    fulls AS (
        -- The first fill (CREATE, COMPILE) inserts into an empty table: cheaper than a real
        -- FULL refresh, so it counts only when there is nothing else to compare with.
        SELECT r.ms, r.initiated_by NOT IN ('CREATE', 'COMPILE') AS regular
        FROM recent r WHERE r.done IN ('FULL', 'REINITIALIZE')
    )
    SELECT d.n AS differential_count, d.ms AS differential_ms, f.n AS full_count, f.ms AS full_ms
    INTO v_history
    FROM (SELECT count(*) AS n, avg(r.ms) AS ms FROM recent r
          WHERE r.done = 'DIFFERENTIAL' AND r.changes_consumed * 4 >= v_total) AS d,
         (SELECT count(*) AS n, avg(fl.ms) AS ms FROM fulls fl
          WHERE fl.regular OR NOT EXISTS (SELECT 1 FROM fulls x WHERE x.regular)) AS f;
    IF v_history.differential_count >= 2 AND v_history.full_count >= 1
       AND v_history.differential_ms > v_history.full_ms THEN
        action := 'FULL';
        reason := format('AUTO: comparable differential refreshes took %s ms on average, FULL %s ms',
                         trim_scale(round(v_history.differential_ms, 1)), trim_scale(round(v_history.full_ms, 1)));
        RETURN;
    END IF;

    reason := format('AUTO: %s pending change%s%s', v_total, CASE WHEN v_total = 1 THEN '' ELSE 's' END,
                     CASE WHEN v_max_source IS NULL THEN ' (source sizes unknown until analyzed)'
                          ELSE format(' (%s of %s, threshold %s)', pgtrickle._percent(v_max_share),
                                      v_max_source, pgtrickle._percent(v_ratio)) END);
END
$$;

-- The name of this session's prepared statement of p_sql (parameter types p_parameters, or none),
-- preparing it if needed, so that a refresh does not plan its statements again: planning a
-- statement of dozens of CTEs can take as long as running it for a small change (TPC-H Q8 at
-- scale 1: 54 ms to plan, 60 ms to run). No estimate depends on the parameters (they only reach
-- pgtrickle._covered), so the generic plan is the plan a fresh one would be; it is made again
-- when a table it reads is altered or analyzed. p_kind names the statement among the stream
-- table's ('refresh', 'insert_only', 'clock_due'); a new text (a recompiled plan, a renamed
-- storage table) replaces the session's older one.
-- The name last prepared is remembered in a session setting (pgtrickle.prepared_<id>_<kind>):
-- pg_prepared_statements builds a row with the full text of every statement of the session, which
-- in a daemon session refreshing a hundred stream tables took milliseconds per look. A statement
-- deallocated behind the setting's back (DEALLOCATE ALL) makes its EXECUTE fail with SQLSTATE
-- 26000; the callers then forget the names (_forget_prepared) and prepare again.
-- A prepared statement runs with the rights of the user executing it, and this session's user
-- may have prepared one under the name: so only where that user could act as the current user
-- anyway (is it, may SET ROLE to it, or is a superuser), which the daemon's SET ROLE to each
-- owner passes and a SECURITY DEFINER function in between does not; otherwise NULL, and the
-- caller runs p_sql with EXECUTE, which plans it.
CREATE OR REPLACE FUNCTION pgtrickle._prepared(p_pgt_id bigint, p_kind text, p_sql text, p_parameters text)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_prefix text := format('pgt_refresh_%s_%s_', p_pgt_id, p_kind);
    v_name text := v_prefix || md5(p_sql);
    v_setting text := format('pgtrickle.prepared_%s_%s', p_pgt_id, p_kind);
    v_stale text;
BEGIN
    IF current_user <> session_user AND NOT pg_has_role(session_user, current_user,
            CASE WHEN current_setting('server_version_num')::int >= 160000 THEN 'SET' ELSE 'MEMBER' END) THEN
        RETURN NULL;
    END IF;
    IF current_setting(v_setting, true) = v_name THEN
        RETURN v_name;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_prepared_statements WHERE name = v_name) THEN
        FOR v_stale IN SELECT name FROM pg_prepared_statements WHERE starts_with(name, v_prefix) LOOP
            EXECUTE format('DEALLOCATE %I', v_stale);
        END LOOP;
        EXECUTE format('PREPARE %I %s AS %s', v_name,
                       CASE WHEN p_parameters IS NOT NULL THEN '(' || p_parameters || ')' ELSE '' END, p_sql);
    END IF;
    PERFORM set_config(v_setting, v_name, false);
    RETURN v_name;
END
$$;

-- Forgets the names _prepared remembered for a stream table in this session: the next call looks
-- at the session's prepared statements again.
CREATE OR REPLACE FUNCTION pgtrickle._forget_prepared(p_pgt_id bigint) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT set_config(format('pgtrickle.prepared_%s_%s', p_pgt_id, kind), '', false)
    FROM unnest(ARRAY['refresh', 'insert_only', 'clock_due']) AS kind
$$;

-- Runs a refresh statement ($1-$3: the old frontier) prepared (see _prepared).
CREATE OR REPLACE FUNCTION pgtrickle._execute_refresh(
    p_pgt_id bigint, p_kind text, p_sql text, p_frontier pg_snapshot, p_own_xid xid8, p_own_seq bigint)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    v_name text := pgtrickle._prepared(p_pgt_id, p_kind, p_sql, 'pg_snapshot, xid8, bigint');
BEGIN
    IF v_name IS NULL THEN
        EXECUTE p_sql USING p_frontier, p_own_xid, p_own_seq;
    ELSE
        EXECUTE format('EXECUTE %I (%L, %L, %L)', v_name, p_frontier, p_own_xid, p_own_seq);
    END IF;
END
$$;

-- Refreshes a stream table the way _choose_refresh says: FULL, or by applying the changes since
-- the frontier with the plan's one MERGE statement (I2: the delta, every base-table read and
-- the new frontier share that statement's snapshot). False when there was nothing to do.
DROP FUNCTION IF EXISTS pgtrickle._differential_refresh(bigint, text);
CREATE OR REPLACE FUNCTION pgtrickle._differential_refresh(p_pgt_id bigint, p_initiated_by text) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_start timestamptz := clock_timestamp();
    v_st pgtrickle.pgt_stream_tables;
    v_journal_loaded boolean;
    v_choice record;
    v_data_time timestamptz;
    v_counts bigint[];
    v_statement text;
BEGIN
    PERFORM pgtrickle._take_locks(p_pgt_id);
    -- Changes of sources captured from the WAL are in the daemon's journal: only its refreshes
    -- load them (see R__70_wal.sql). Without them the buffers lack changes: FULL is exact.
    v_journal_loaded := pgtrickle._journal_loaded(p_pgt_id);
    -- Nothing changed since the frontier: the contents are current, whatever the mode; a FULL
    -- refresh would rewrite every row for nothing. The daemon's look leaves no history row.
    v_st := pgtrickle._claimed_unless_fresh(p_pgt_id, v_journal_loaded, nullif(p_initiated_by, 'SCHEDULER'), v_start);
    IF v_st.pgt_id IS NULL THEN
        RETURN false;
    END IF;
    -- The catalog keeps the plan compressed, and every read of one of its fields decompresses all
    -- of it (~30 µs for a plan of 34 kB): decompressed once here (|| '{}' returns it unchanged,
    -- decompressed), for this function and the helpers v_st is handed to.
    v_st.plan := v_st.plan || '{}';
    IF v_st.refresh_mode = 'DIFFERENTIAL' AND v_st.compile_status = 'UNSUPPORTED' THEN
        RAISE EXCEPTION 'stream table % cannot be refreshed DIFFERENTIAL: %', v_st.pgt_relid::regclass, v_st.compile_error
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Use alter_stream_table(refresh_mode => ''AUTO'') (falls back to FULL) or ''FULL''.';
    END IF;
    IF NOT v_journal_loaded THEN
        RAISE NOTICE 'stream table % reads tables captured from the WAL, whose changes only the pgtrickle daemon can read: refreshing FULL',
            v_st.pgt_relid::regclass
            USING HINT = 'The daemon refreshes it differentially on its schedule.';
        PERFORM pgtrickle._full_refresh(p_pgt_id, p_initiated_by,
            'a source is captured from the WAL and this refresh did not load the journal', p_fallback => true);
        RETURN true;
    END IF;
    v_choice := pgtrickle._choose_refresh(v_st);
    IF v_choice.action = 'FULL' THEN
        PERFORM pgtrickle._full_refresh(p_pgt_id, p_initiated_by, v_choice.reason);
        RETURN true;
    END IF;
    PERFORM set_config('pgtrickle.refresh_frontier', '', true);
    PERFORM set_config('pgtrickle.refresh_consumed', '', true);
    PERFORM set_config('pgtrickle.refresh_oldest', '', true);
    v_data_time := pgtrickle._data_time();
    IF (v_st.plan ->> 'reads_clock')::boolean THEN
        PERFORM set_config('pgtrickle.clock_old', v_st.clock_frontier::text, true);
    END IF;
    -- Append-only stream tables first try the plain INSERT; the plan names the storage table by a
    -- placeholder, since the table may have been renamed.
    v_statement := CASE WHEN v_st.append_only THEN v_st.plan ->> 'refresh_insert_only' END;
    BEGIN
        BEGIN
            PERFORM pgtrickle._execute_refresh(v_st.pgt_id, CASE WHEN v_statement IS NULL THEN 'refresh' ELSE 'insert_only' END,
                pgtrickle._plan_statement(v_st, coalesce(v_statement, v_st.plan ->> 'refresh')),
                v_st.frontier, v_st.frontier_own_xid, v_st.frontier_own_seq);
        EXCEPTION WHEN SQLSTATE 'PT002' THEN
            RAISE NOTICE 'stream table % is declared append-only but its sources had deletions or updates',
                v_st.pgt_relid::regclass;
            PERFORM pgtrickle._execute_refresh(v_st.pgt_id, 'refresh',
                pgtrickle._plan_statement(v_st, v_st.plan ->> 'refresh'),
                v_st.frontier, v_st.frontier_own_xid, v_st.frontier_own_seq);
        END;
    EXCEPTION
        WHEN SQLSTATE 'PT001' THEN
            PERFORM pgtrickle._full_refresh(p_pgt_id, p_initiated_by, 'a source was truncated: reinitialized');
            RETURN true;
        WHEN invalid_sql_statement_name THEN
            -- The session's prepared statement was deallocated behind _prepared's memory: prepare
            -- it again and refresh (this block's work was rolled back).
            PERFORM pgtrickle._forget_prepared(p_pgt_id);
            RETURN pgtrickle._differential_refresh(p_pgt_id, p_initiated_by);
        WHEN data_exception THEN
            -- Delta terms evaluate expressions on rows that cancel out (inserted then changed
            -- within one window) and on join combinations that never coexisted, where e.g. a
            -- division by zero may fail that the query itself never evaluates. The FULL refresh
            -- decides: if it fails too, the error is real.
            RAISE NOTICE 'differential refresh of % failed (%), refreshing FULL instead',
                v_st.pgt_relid::regclass, SQLERRM;
            PERFORM pgtrickle._full_refresh(p_pgt_id, p_initiated_by,
                                            format('differential refresh failed (%s): refreshed FULL', SQLERRM),
                                            p_fallback => true);
            RETURN true;
    END;
    IF current_setting('pgtrickle.refresh_frontier') = '' THEN
        RAISE EXCEPTION 'the refresh statement of stream table % did not report its snapshot', v_st.pgt_relid::regclass
            USING ERRCODE = 'internal_error';
    END IF;
    v_counts := string_to_array(current_setting('pgtrickle.refresh_counts'), ',')::bigint[];
    PERFORM pgtrickle._complete_refresh(p_pgt_id, current_setting('pgtrickle.refresh_frontier')::pg_snapshot,
                                        v_data_time, 'DIFFERENTIAL', v_counts[1], v_counts[3], v_start,
                                        p_initiated_by, v_counts[2], v_choice.reason,
                                        nullif(current_setting('pgtrickle.refresh_consumed'), '')::bigint,
                                        p_oldest_consumed => nullif(current_setting('pgtrickle.refresh_oldest'), '')::xid8,
                                        p_clock_due => pgtrickle._next_clock_change(v_st));
    RETURN true;
END
$$;

-- The daemon's refresh of a stream table (as its owner, in the daemon's transaction): what it did,
-- as its history row says, or no action when there was nothing to do. One call, one round trip;
-- p_application_name names the refresh while it runs (pgtrickle.worker_pool_status() shows it).
CREATE OR REPLACE FUNCTION pgtrickle._scheduled_refresh(p_pgt_id bigint, p_application_name text,
    OUT action text, OUT rows_inserted bigint, OUT rows_updated bigint, OUT rows_deleted bigint, OUT fallback boolean)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM set_config('application_name', p_application_name, true);
    IF pgtrickle._differential_refresh(p_pgt_id, 'SCHEDULER') THEN
        SELECT h.action, coalesce(h.rows_inserted, 0), coalesce(h.rows_updated, 0), coalesce(h.rows_deleted, 0), h.fallback
        INTO action, rows_inserted, rows_updated, rows_deleted, fallback
        FROM pgtrickle.pgt_refresh_history h
        WHERE h.pgt_id = p_pgt_id
        ORDER BY h.refresh_id DESC
        LIMIT 1;
    END IF;
END
$$;
