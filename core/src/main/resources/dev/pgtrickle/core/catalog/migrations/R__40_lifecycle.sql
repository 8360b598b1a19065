-- Stream table lifecycle: create, create-if-not-exists, create-or-replace, alter, drop.
-- Everything runs in the caller's transaction: a rollback leaves nothing behind.
--
-- The public functions are thin SQL wrappers with the parameter names users know; they pass
-- the caller's search_path to the internal functions (which pin their own) so that the defining
-- query resolves names exactly as the caller would.

-- Signatures replaced since the first version.
DROP FUNCTION IF EXISTS pgtrickle._effective_mode(text, text, text[]);
DROP FUNCTION IF EXISTS pgtrickle._install_capture(oid[], text[]);
DROP FUNCTION IF EXISTS pgtrickle._register(bigint, oid, text, text, oid[], text[], text, text, text, text, boolean, text);
DROP FUNCTION IF EXISTS pgtrickle._register(bigint, oid, text, text, oid[], text[], text, text, text, text, text, boolean, text);
DROP FUNCTION IF EXISTS pgtrickle._set_options(bigint, boolean, text, text, text, text, text, text, boolean, boolean, text);

-- Deparses a view with every name schema-qualified (only pg_catalog is on the search_path).
CREATE OR REPLACE FUNCTION pgtrickle._deparse_view(p_view oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog AS $$
    SELECT rtrim(btrim(pg_get_viewdef(p_view, false)), ';')
$$;

-- Analyzes a defining query through PostgreSQL itself, as the calling role, under the given
-- search_path: it must be one query the caller may run; returns its canonical text, its output
-- columns, its sources (views expanded to base tables; stream tables kept as such) and the
-- functions it calls whose results change without a source change (see _unstable_functions).
DROP FUNCTION IF EXISTS pgtrickle._analyze_query(text, text);
CREATE OR REPLACE FUNCTION pgtrickle._analyze_query(
    p_query text, p_search_path text,
    OUT normalized text, OUT column_names name[], OUT column_types text[], OUT column_definitions text,
    OUT sources oid[], OUT source_kinds text[], OUT unstable_functions text[])
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_cursor refcursor;
    v_probe oid;
    v_columns record;
    v_relations oid[];
    v_plan jsonb;
    v_catalog text;
    v_bad record;
    v_step text := 'plan';
    v_state text;
    v_message text;
    v_detail text;
    v_hint text;
BEGIN
    IF p_query IS NULL OR btrim(p_query) = '' THEN
        RAISE EXCEPTION 'the defining query must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM set_config('search_path', coalesce(p_search_path, '"$user", public'), true);
    BEGIN
        -- Opening a cursor plans the query and checks privileges without running it, and
        -- refuses several statements or anything that is not a query.
        OPEN v_cursor FOR EXECUTE p_query || E'\n';
        CLOSE v_cursor;
        v_step := 'view';
        IF to_regclass('pg_temp.__pgt_probe') IS NOT NULL THEN
            EXECUTE 'DROP VIEW pg_temp.__pgt_probe';
        END IF;
        EXECUTE format(E'CREATE TEMPORARY VIEW __pgt_probe AS %s\n', p_query);
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS v_state = RETURNED_SQLSTATE, v_message = MESSAGE_TEXT,
                                v_detail = PG_EXCEPTION_DETAIL, v_hint = PG_EXCEPTION_HINT;
        IF v_state = '42P11' OR (v_step = 'view' AND v_state = '42601') THEN
            -- Several statements, or a statement that is not a query.
            v_message := 'it must be a single SELECT statement';
        ELSIF v_message ~ 'data-modifying' THEN
            v_message := 'it must not modify data';
        END IF;
        v_message := 'invalid defining query: ' || v_message;
        IF nullif(v_detail, '') IS NULL AND nullif(v_hint, '') IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message;
        ELSIF nullif(v_hint, '') IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, DETAIL = v_detail;
        ELSIF nullif(v_detail, '') IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, HINT = v_hint;
        END IF;
        RAISE EXCEPTION USING ERRCODE = v_state, MESSAGE = v_message, DETAIL = v_detail, HINT = v_hint;
    END;
    -- System catalogs are pinned objects: pg_depend records no dependency on them, so look at
    -- the relations the planner actually scans.
    EXECUTE 'EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) ' || p_query || E'\n' INTO v_plan;
    PERFORM set_config('search_path', 'pg_catalog, pg_temp', true);
    SELECT format('%I.%I', rel ->> 'Schema', rel ->> 'Relation Name') INTO v_catalog
    FROM jsonb_path_query(v_plan, 'strict $.**') AS rel
    WHERE jsonb_typeof(rel) = 'object' AND rel ? 'Relation Name'
      AND rel ->> 'Schema' IN ('pg_catalog', 'information_schema', 'pg_toast')
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'invalid defining query: % is a system catalog; stream tables can only read user tables', v_catalog
            USING ERRCODE = 'feature_not_supported';
    END IF;
    v_probe := 'pg_temp.__pgt_probe'::regclass;

    normalized := pgtrickle._deparse_view(v_probe);
    v_columns := pgtrickle._column_definitions(v_probe);
    IF EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = v_probe AND attnum > 0 AND attname ~ '^__pgt_') THEN
        RAISE EXCEPTION 'invalid defining query: column names starting with __pgt_ are reserved for pgtrickle'
            USING ERRCODE = 'reserved_name';
    END IF;
    IF v_columns.names IS NULL THEN
        RAISE EXCEPTION 'invalid defining query: it must return at least one column'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    column_names := v_columns.names;
    column_types := v_columns.types;
    column_definitions := v_columns.definitions;

    -- Relations the query reads, following views down to their base relations.
    WITH RECURSIVE reads(relid) AS (
        SELECT d.refobjid FROM pg_rewrite r
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                        AND d.refclassid = 'pg_class'::regclass
        WHERE r.ev_class = v_probe AND d.refobjid <> v_probe
        UNION
        SELECT d.refobjid FROM reads
        JOIN pg_class c ON c.oid = reads.relid AND c.relkind = 'v'
        JOIN pg_rewrite r ON r.ev_class = c.oid
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                        AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> c.oid
    )
    SELECT coalesce(array_agg(DISTINCT relid), '{}') INTO v_relations FROM reads;

    SELECT c.oid::regclass AS rel, c.relkind, c.relpersistence, n.nspname INTO v_bad
    FROM unnest(v_relations) AS r(relid) JOIN pg_class c ON c.oid = r.relid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname IN ('pg_catalog', 'information_schema', 'pg_toast')
       OR c.relpersistence = 't'
       OR c.relkind IN ('m', 'f')
    ORDER BY n.nspname IN ('pg_catalog', 'information_schema', 'pg_toast') DESC, c.relpersistence = 't' DESC
    LIMIT 1;
    IF FOUND THEN
        IF v_bad.nspname IN ('pg_catalog', 'information_schema', 'pg_toast') THEN
            RAISE EXCEPTION 'invalid defining query: % is a system catalog; stream tables can only read user tables', v_bad.rel
                USING ERRCODE = 'feature_not_supported';
        ELSIF v_bad.relpersistence = 't' THEN
            RAISE EXCEPTION 'invalid defining query: % is a temporary table; stream tables cannot read temporary tables', v_bad.rel
                USING ERRCODE = 'feature_not_supported';
        ELSE
            RAISE EXCEPTION 'invalid defining query: % is a % whose changes cannot be captured', v_bad.rel,
                CASE v_bad.relkind WHEN 'm' THEN 'materialized view' ELSE 'foreign table' END
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Stream tables read tables, partitioned tables, views over them and other stream tables.';
        END IF;
    END IF;

    SELECT coalesce(array_agg(c.oid ORDER BY c.oid), '{}'),
           coalesce(array_agg(CASE WHEN st.pgt_id IS NULL THEN 'TABLE' ELSE 'STREAM_TABLE' END ORDER BY c.oid), '{}')
    INTO sources, source_kinds
    FROM unnest(v_relations) AS r(relid)
    JOIN pg_class c ON c.oid = r.relid AND c.relkind IN ('r', 'p')
    LEFT JOIN pgtrickle.pgt_stream_tables st ON st.pgt_relid = c.oid;

    unstable_functions := pgtrickle._unstable_functions(v_probe);
    EXECUTE 'DROP VIEW pg_temp.__pgt_probe';
END
$$;

-- Functions a view calls, directly or through the views it reads, whose result can change while
-- no source changes: a differential refresh would miss such a change, and "nothing changed since
-- the frontier" would be wrong. One phrase each, e.g. 'volatile function random()':
--   volatile functions and operators: user-defined ones through pg_depend; built-in ones are
--     pinned (not recorded there), so the deparsed texts are scanned for their calls;
--   the clock: now(), statement_timestamp(), transaction_timestamp(), age() of one argument
--     (FuncExpr nodes of the rewrite rules, by oid) and CURRENT_DATE, CURRENT_TIME,
--     CURRENT_TIMESTAMP, LOCALTIME, LOCALTIMESTAMP (SQLValueFunction nodes, ops 0 to 8);
--   user-defined STABLE functions: they may read the clock or other tables.
DROP FUNCTION IF EXISTS pgtrickle._volatile_functions(oid);
CREATE OR REPLACE FUNCTION pgtrickle._unstable_functions(p_view oid) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH RECURSIVE views(relid) AS (
        SELECT p_view
        UNION
        SELECT d.refobjid FROM views
        JOIN pg_rewrite r ON r.ev_class = views.relid
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                        AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> views.relid
        JOIN pg_class c ON c.oid = d.refobjid AND c.relkind = 'v'
    ),
    rules AS (
        SELECT r.oid, r.ev_action::text AS tree FROM views JOIN pg_rewrite r ON r.ev_class = views.relid
    ),
    called(fn) AS (
        SELECT d.refobjid FROM rules
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rules.oid
                        AND d.refclassid = 'pg_proc'::regclass
        UNION
        SELECT o.oprcode FROM rules
        JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = rules.oid
                        AND d.refclassid = 'pg_operator'::regclass
        JOIN pg_operator o ON o.oid = d.refobjid
    ),
    found(phrase) AS (
        SELECT format('volatile function %s', p.oid::regprocedure)
        FROM called JOIN pg_proc p ON p.oid = called.fn WHERE p.provolatile = 'v'
        UNION
        SELECT format('STABLE function %s (it may read the clock or other tables; declare it IMMUTABLE if its result depends on its arguments only)',
                      p.oid::regprocedure)
        FROM called JOIN pg_proc p ON p.oid = called.fn WHERE p.provolatile = 's'
        UNION
        SELECT DISTINCT format('volatile function %s()', m[1]) FROM views,
            regexp_matches(
                regexp_replace(regexp_replace(pgtrickle._deparse_view(views.relid),
                    '''([^'']|'''')*''', '''''', 'g'),     -- string literals
                    '"([^"]|"")*"', '""', 'g'),             -- quoted identifiers
                '([a-z_][a-z0-9_$]*)\s*\(', 'g') AS m
        WHERE EXISTS (SELECT 1 FROM pg_proc p
                      WHERE p.proname = m[1] AND p.pronamespace = 'pg_catalog'::regnamespace
                        AND p.provolatile = 'v' AND p.prokind = 'f')
        UNION
        SELECT format('%s() reads the clock', p.proname) FROM rules,
            regexp_matches(rules.tree, ':funcid ([0-9]+) ', 'g') AS m
        JOIN pg_proc p ON p.oid = m[1]::oid
        WHERE p.pronamespace = 'pg_catalog'::regnamespace
          AND (p.proname IN ('now', 'statement_timestamp', 'transaction_timestamp')
               OR (p.proname = 'age' AND p.pronargs = 1))
        UNION
        SELECT format('%s reads the clock',
                      (ARRAY['CURRENT_DATE', 'CURRENT_TIME', 'CURRENT_TIME', 'CURRENT_TIMESTAMP',
                             'CURRENT_TIMESTAMP', 'LOCALTIME', 'LOCALTIME', 'LOCALTIMESTAMP',
                             'LOCALTIMESTAMP'])[m[1]::int + 1])
        FROM rules, regexp_matches(rules.tree, '\{SQLVALUEFUNCTION :op ([0-8]) ', 'g') AS m
    )
    SELECT coalesce(array_agg(phrase ORDER BY phrase), '{}') FROM found
$$;

-- Picks the name of the view that pins a stream table's sources. It carries the stream table's
-- name because PostgreSQL shows it when a user tries to drop a source the stream table reads.
CREATE OR REPLACE FUNCTION pgtrickle._definition_view_name(p_schema name, p_name name, p_pgt_id bigint)
RETURNS name LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN octet_length(p_schema || '.' || p_name) <= 63
                 AND to_regclass(format('pgtrickle.%I', p_schema || '.' || p_name)) IS NULL
                THEN (p_schema || '.' || p_name)::name
                ELSE ('stream_table_' || p_pgt_id)::name END
$$;

-- Raises when reading the given sources would make a stream table depend on itself.
CREATE OR REPLACE FUNCTION pgtrickle._check_no_cycle(p_pgt_id bigint, p_relid oid, p_sources oid[])
RETURNS void LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_path text;
BEGIN
    WITH RECURSIVE upstream(relid, path) AS (
        SELECT s, s::regclass::text FROM unnest(p_sources) AS s
        UNION
        SELECT d.source_relid, u.path || ' <- ' || d.source_relid::regclass::text
        FROM upstream u
        JOIN pgtrickle.pgt_stream_tables st ON st.pgt_relid = u.relid
        JOIN pgtrickle.pgt_dependencies d ON d.pgt_id = st.pgt_id AND d.source_kind = 'STREAM_TABLE'
        WHERE u.relid <> p_relid
    )
    SELECT path INTO v_path FROM upstream WHERE relid = p_relid LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'stream table % cannot read itself: the new query would create the cycle % <- %',
            p_relid::regclass, p_relid::regclass, v_path
            USING ERRCODE = 'invalid_object_definition';
    END IF;
END
$$;

-- Catalog owner part of registering a stream table (or its new query): the definition view
-- and the catalog rows. The caller has just created (or locked) the storage table.
CREATE OR REPLACE FUNCTION pgtrickle._register(
    p_pgt_id bigint, p_relid oid, p_defining_query text, p_normalized_query text,
    p_sources oid[], p_source_kinds text[],
    p_schedule text, p_refresh_mode text, p_effective_mode text, p_mode_reason text,
    p_compile_status text, p_append_only boolean, p_cdc_mode text, p_unstable_functions text[])
RETURNS bigint LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_schema name;
    v_name name;
    v_id bigint := p_pgt_id;
    v_view name;
BEGIN
    PERFORM pgtrickle._assert_write_lock(p_relid);
    SELECT n.nspname, c.relname INTO STRICT v_schema, v_name
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_relid;

    IF v_id IS NULL THEN
        INSERT INTO pgtrickle.pgt_stream_tables
            (pgt_relid, pgt_schema, pgt_name, defining_query, normalized_query, definition_view,
             schedule, refresh_mode, effective_mode, mode_reason, compile_status, append_only, cdc_mode,
             unstable_functions)
        VALUES (p_relid, v_schema, v_name, p_defining_query, p_normalized_query, '',
                p_schedule, p_refresh_mode, p_effective_mode, p_mode_reason, p_compile_status,
                p_append_only, p_cdc_mode, p_unstable_functions)
        RETURNING pgt_id INTO v_id;
    ELSE
        SELECT definition_view INTO STRICT v_view FROM pgtrickle.pgt_stream_tables
        WHERE pgt_id = v_id AND pgt_relid = p_relid FOR UPDATE;
        EXECUTE format('DROP VIEW IF EXISTS pgtrickle.%I', v_view);
        DELETE FROM pgtrickle.pgt_dependencies WHERE pgt_id = v_id;
        UPDATE pgtrickle.pgt_stream_tables
        SET defining_query = p_defining_query, normalized_query = p_normalized_query,
            effective_mode = p_effective_mode, mode_reason = p_mode_reason,
            compile_status = p_compile_status, compile_error = NULL,
            unstable_functions = p_unstable_functions,
            frontier = NULL, frontier_own_xid = NULL, frontier_own_seq = NULL,
            is_populated = false, data_timestamp = NULL, plan = NULL,
            altered_at = now()
        WHERE pgt_id = v_id;
    END IF;

    v_view := pgtrickle._definition_view_name(v_schema, v_name, v_id);
    BEGIN
        EXECUTE format('CREATE VIEW pgtrickle.%I AS %s', v_view, p_normalized_query);
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'the pgtrickle catalog owner (role %) cannot see every object the query uses: %',
            current_user, SQLERRM
            USING ERRCODE = 'insufficient_privilege',
                  HINT = format('Grant USAGE on the schemas the query reads to %I.', current_user);
    END;
    EXECUTE format('COMMENT ON VIEW pgtrickle.%I IS %L', v_view,
        format('pgtrickle: defining query of stream table %I.%I (keeps its sources from being dropped)',
               v_schema, v_name));
    UPDATE pgtrickle.pgt_stream_tables SET definition_view = v_view WHERE pgt_id = v_id;

    INSERT INTO pgtrickle.pgt_dependencies (pgt_id, source_relid, source_kind, source_schema, source_name)
    SELECT v_id, s.relid, s.kind, n.nspname, c.relname
    FROM unnest(p_sources, p_source_kinds) AS s(relid, kind)
    JOIN pg_class c ON c.oid = s.relid JOIN pg_namespace n ON n.oid = c.relnamespace;
    -- The daemon compiles new definitions (it listens on pgtrickle_catalog).
    PERFORM pgtrickle._notify_catalog(CASE WHEN p_pgt_id IS NULL THEN 'created' ELSE 'altered' END, v_id);
    RETURN v_id;
END
$$;

-- Catalog owner part of changing options. NULL arguments leave the option unchanged, except
-- schedule and cdc_mode, where NULL is a value (calculated; the global default) and a flag says
-- whether to set them.
CREATE OR REPLACE FUNCTION pgtrickle._set_options(
    p_pgt_id bigint, p_set_schedule boolean, p_schedule text, p_refresh_mode text,
    p_effective_mode text, p_mode_reason text, p_compile_status text, p_status text, p_tier text,
    p_append_only boolean, p_set_cdc_mode boolean, p_cdc_mode text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._claimed(p_pgt_id);
    v_status text := p_status;
BEGIN
    -- An explicit DIFFERENTIAL the compiler could not honour put the table in ERROR (see
    -- _mark_unsupported); asking for AUTO or FULL instead resolves it.
    IF v_status IS NULL AND v_st.status = 'ERROR' AND v_st.refresh_mode = 'DIFFERENTIAL'
       AND v_st.compile_status = 'UNSUPPORTED' AND p_refresh_mode IN ('AUTO', 'FULL') THEN
        v_status := 'ACTIVE';
    END IF;
    UPDATE pgtrickle.pgt_stream_tables
    SET schedule = CASE WHEN p_set_schedule THEN p_schedule ELSE schedule END,
        refresh_mode = coalesce(p_refresh_mode, refresh_mode),
        effective_mode = coalesce(p_effective_mode, effective_mode),
        mode_reason = CASE WHEN p_effective_mode IS NOT NULL THEN p_mode_reason ELSE mode_reason END,
        compile_status = coalesce(p_compile_status, compile_status),
        status = coalesce(v_status, status),
        last_error = CASE WHEN v_status = 'ACTIVE' AND p_status IS NULL THEN NULL ELSE last_error END,
        consecutive_errors = CASE WHEN v_status = 'ACTIVE' THEN 0 ELSE consecutive_errors END,
        tier = coalesce(p_tier, tier),
        append_only = coalesce(p_append_only, append_only),
        cdc_mode = CASE WHEN p_set_cdc_mode THEN p_cdc_mode ELSE cdc_mode END,
        altered_at = now()
    WHERE pgt_id = p_pgt_id;
    PERFORM pgtrickle._notify_catalog('altered', p_pgt_id);
END
$$;

-- Catalog owner part of dropping: definition view and catalog rows. A stream table whose
-- storage table no longer exists may be cleaned up by anyone.
CREATE OR REPLACE FUNCTION pgtrickle._unregister(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._claimed(p_pgt_id, p_storage_may_be_gone => true);
BEGIN
    EXECUTE format('DROP VIEW IF EXISTS pgtrickle.%I', v_st.definition_view);
    PERFORM pgtrickle._drop_kept_states(p_pgt_id);
    -- An IMMEDIATE writer that still holds a stamp keeps it (waiting for it could deadlock with
    -- the writer waiting for the storage lock the drop holds); a later drop's pass takes it.
    DELETE FROM pgtrickle.immediate_stamps WHERE ctid IN (
        SELECT s.ctid FROM pgtrickle.immediate_stamps s
        WHERE NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_stream_tables st WHERE st.pgt_id = s.pgt_id AND st.pgt_id <> p_pgt_id)
        FOR UPDATE SKIP LOCKED);
    PERFORM pgtrickle._notify_catalog('dropped', p_pgt_id);
    DELETE FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id;
END
$$;

-- The sources a stream table reads, by oid (the order locks are taken in).
CREATE OR REPLACE FUNCTION pgtrickle._sources_of(p_pgt_id bigint) RETURNS oid[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(array_agg(source_relid ORDER BY source_relid), '{}') FROM pgtrickle.pgt_dependencies
    WHERE pgt_id = p_pgt_id
$$;

-- Installs capture on every source. On a stream table source the same triggers record what
-- each of its refreshes applied, which is the delta its consumers need.
CREATE OR REPLACE FUNCTION pgtrickle._install_capture(p_sources oid[])
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_source oid;
BEGIN
    FOREACH v_source IN ARRAY p_sources
    LOOP
        PERFORM pgtrickle._install_capture_triggers(v_source, pgtrickle._ensure_change_buffer(v_source));
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._create_stream_table(
    p_name text, p_query text, p_schedule text, p_refresh_mode text, p_initialize boolean,
    p_append_only boolean, p_cdc_mode text, p_search_path text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_name record := pgtrickle._split_name(p_name);
    v_display text := pgtrickle._display_name(v_name.schema_name, v_name.rel_name);
    v_mode text := pgtrickle._schedule_mode(p_schedule, p_refresh_mode);
    v_schedule text := CASE WHEN v_mode <> 'IMMEDIATE' THEN pgtrickle.normalize_schedule(p_schedule) END;
    v_cdc_mode text := pgtrickle._normalize_cdc_mode(p_cdc_mode);
    v_query record;
    v_decision record;
    v_relid oid;
    v_id bigint;
    v_refusal text;
BEGIN
    IF (pgtrickle._lookup_stream_table(p_name)).pgt_id IS NOT NULL THEN
        RAISE EXCEPTION 'stream table "%" already exists', v_display
            USING ERRCODE = 'duplicate_table',
                  HINT = 'Use create_or_replace_stream_table() or alter_stream_table() to change it.';
    END IF;
    IF to_regnamespace(quote_ident(v_name.schema_name)) IS NULL THEN
        RAISE EXCEPTION 'schema "%" does not exist', v_name.schema_name USING ERRCODE = 'invalid_schema_name';
    END IF;
    IF to_regclass(v_display) IS NOT NULL THEN
        RAISE EXCEPTION 'relation "%" already exists and is not a stream table', v_display
            USING ERRCODE = 'duplicate_table';
    END IF;

    v_query := pgtrickle._analyze_query(p_query, p_search_path);
    v_decision := pgtrickle._mode_decision(v_display, v_mode, v_query.unstable_functions, NULL, NULL);
    IF v_mode = 'IMMEDIATE' THEN
        v_refusal := pgtrickle._immediate_refusal(v_query.sources);
        IF v_refusal IS NOT NULL THEN
            RAISE EXCEPTION 'stream table "%" cannot be IMMEDIATE: %', v_display, v_refusal
                USING ERRCODE = 'feature_not_supported',
                      HINT = 'Use a scheduled refresh_mode (''AUTO'', ''DIFFERENTIAL'' or ''FULL'') with a short schedule.';
        END IF;
        IF NOT coalesce(p_initialize, true) THEN
            RAISE EXCEPTION 'stream table "%" cannot be IMMEDIATE without being initialized: it is kept current from its creation on', v_display
                USING ERRCODE = 'invalid_parameter_value';
        END IF;
    END IF;

    EXECUTE format('CREATE TABLE %s (%s)', v_display, v_query.column_definitions);
    v_relid := to_regclass(v_display);
    v_id := pgtrickle._register(NULL, v_relid, p_query, v_query.normalized,
                                v_query.sources, v_query.source_kinds,
                                v_schedule, v_mode, v_decision.effective_mode, v_decision.mode_reason,
                                v_decision.compile_status, coalesce(p_append_only, false), v_cdc_mode,
                                v_query.unstable_functions);
    IF v_mode = 'IMMEDIATE' THEN
        -- Its own triggers, in this transaction: nothing written after it commits is missed.
        PERFORM pgtrickle._install_immediate(v_id);
    ELSE
        PERFORM pgtrickle._install_capture(v_query.sources);
    END IF;
    IF coalesce(p_initialize, true) THEN
        PERFORM pgtrickle._full_refresh(v_id, 'CREATE');
    END IF;
END
$$;

-- Gives the storage table the new query's columns in place (keeping the table, its indexes,
-- grants and dependent objects): old contents are deleted (they are recomputed), columns the
-- query no longer has are dropped, new ones added, changed types altered. Never CASCADE: a
-- user object depending on a changed column makes the whole change fail instead.
CREATE OR REPLACE FUNCTION pgtrickle._reshape_storage(p_storage regclass, p_names name[], p_types text[])
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_current record := pgtrickle._column_definitions(p_storage);
    v_i int;
    v_pos int;
    v_detail text;
BEGIN
    IF v_current.names = p_names AND v_current.types = p_types THEN
        RETURN;
    END IF;
    EXECUTE format('DELETE FROM %s', p_storage);
    BEGIN
        FOR v_i IN 1 .. cardinality(v_current.names) LOOP
            IF NOT v_current.names[v_i] = ANY (p_names) THEN
                EXECUTE format('ALTER TABLE %s DROP COLUMN %I', p_storage, v_current.names[v_i]);
            END IF;
        END LOOP;
        FOR v_i IN 1 .. cardinality(p_names) LOOP
            v_pos := array_position(v_current.names, p_names[v_i]);
            IF v_pos IS NULL THEN
                EXECUTE format('ALTER TABLE %s ADD COLUMN %I %s', p_storage, p_names[v_i], p_types[v_i]);
            ELSIF v_current.types[v_pos] <> p_types[v_i] THEN
                EXECUTE format('ALTER TABLE %s ALTER COLUMN %I TYPE %s USING NULL', p_storage,
                               p_names[v_i], p_types[v_i]);
            END IF;
        END LOOP;
    EXCEPTION WHEN dependent_objects_still_exist OR feature_not_supported THEN
        GET STACKED DIAGNOSTICS v_detail = PG_EXCEPTION_DETAIL;
        RAISE EXCEPTION 'cannot change the columns of stream table %: %', p_storage, SQLERRM
            USING ERRCODE = 'dependent_objects_still_exist', DETAIL = coalesce(nullif(v_detail, ''), SQLERRM),
                  HINT = 'Drop or change the objects that use the affected columns first; nothing was changed.';
    END;
END
$$;

-- A user's new query for a published stream table: its subscribers' tables, replica identity and
-- column list would have to follow it.
CREATE OR REPLACE FUNCTION pgtrickle._refuse_if_published(p_st pgtrickle.pgt_stream_tables) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_st.publication IS NOT NULL THEN
        RAISE EXCEPTION 'cannot change the query of stream table %: it is published in publication "%"',
            pgtrickle._display_name(p_st.pgt_schema, p_st.pgt_name), p_st.publication
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Unpublish it (pgtrickle.drop_stream_table_publication), change it, and publish it again.';
    END IF;
END
$$;

-- Replaces the defining query of an existing stream table and recomputes it.
CREATE OR REPLACE FUNCTION pgtrickle._replace_query(
    p_st pgtrickle.pgt_stream_tables, p_query text, p_analysis record, p_refresh_mode text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_display text := pgtrickle._display_name(p_st.pgt_schema, p_st.pgt_name);
    v_decision record := pgtrickle._mode_decision(v_display, p_refresh_mode, p_analysis.unstable_functions,
                                                  NULL, NULL);
    v_old_sources oid[];
    v_source oid;
BEGIN
    PERFORM pgtrickle._check_no_cycle(p_st.pgt_id, p_st.pgt_relid, p_analysis.sources);
    PERFORM pgtrickle._lock_storage(p_st);
    IF p_st.refresh_mode = 'IMMEDIATE' THEN
        -- Its triggers on sources the new query may no longer read go; _install_immediate below
        -- puts them on the new sources.
        PERFORM pgtrickle._drop_immediate(p_st);
    END IF;
    -- The old plan's hidden columns and kept states go with it; the new query is compiled afresh.
    PERFORM pgtrickle._drop_hidden_columns(p_st.pgt_relid::regclass);
    PERFORM pgtrickle._drop_kept_states(p_st.pgt_id);
    PERFORM pgtrickle._reshape_storage(p_st.pgt_relid::regclass, p_analysis.column_names, p_analysis.column_types);
    v_old_sources := pgtrickle._sources_of(p_st.pgt_id);
    PERFORM pgtrickle._register(p_st.pgt_id, p_st.pgt_relid, p_query, p_analysis.normalized,
                                p_analysis.sources, p_analysis.source_kinds, NULL, NULL,
                                v_decision.effective_mode, v_decision.mode_reason, v_decision.compile_status,
                                NULL, NULL, p_analysis.unstable_functions);
    IF p_refresh_mode <> 'IMMEDIATE' THEN
        PERFORM pgtrickle._install_capture(p_analysis.sources);
    END IF;
    FOREACH v_source IN ARRAY v_old_sources LOOP
        PERFORM pgtrickle._drop_capture_if_unused(v_source);
    END LOOP;
    PERFORM pgtrickle._full_refresh(p_st.pgt_id, 'ALTER');
    IF p_refresh_mode = 'IMMEDIATE' THEN
        -- Recomputing until compiled again, under the stream table's current name.
        PERFORM pgtrickle._install_immediate(p_st.pgt_id);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._alter_stream_table(
    p_name text, p_query text, p_schedule text, p_refresh_mode text, p_status text, p_tier text,
    p_append_only boolean, p_cdc_mode text, p_search_path text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(p_name);
    v_display text := pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name);
    v_mode text := pgtrickle._schedule_mode(p_schedule, coalesce(p_refresh_mode, v_st.refresh_mode));
    v_schedule text := CASE WHEN v_mode <> 'IMMEDIATE' THEN pgtrickle.normalize_schedule(p_schedule) END;
    v_status text := CASE WHEN p_status IS NOT NULL THEN pgtrickle._normalize_status(p_status) END;
    v_tier text := CASE WHEN p_tier IS NOT NULL THEN pgtrickle._normalize_tier(p_tier) END;
    v_cdc_mode text := pgtrickle._normalize_cdc_mode(p_cdc_mode);
    v_analysis record;
    v_effective_mode text;
    v_mode_reason text;
    v_compile_status text;
    v_switch boolean;
BEGIN
    v_switch := pgtrickle._prepare_immediate_change(v_st, v_mode, p_query IS NOT NULL);
    PERFORM pgtrickle._lock_storage(v_st);
    IF v_switch AND v_mode <> 'IMMEDIATE' AND p_schedule IS NULL THEN
        -- Leaving IMMEDIATE mode without a schedule named: the default of a new stream table.
        v_schedule := pgtrickle.normalize_schedule('calculated');
    END IF;
    IF p_query IS NOT NULL OR p_refresh_mode IS NOT NULL OR v_switch THEN
        v_analysis := pgtrickle._analyze_query(coalesce(p_query, v_st.normalized_query), p_search_path);
        IF v_analysis.normalized <> v_st.normalized_query THEN
            PERFORM pgtrickle._refuse_if_published(v_st);
            PERFORM pgtrickle._replace_query(v_st, p_query, v_analysis, v_mode);
            SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = v_st.pgt_id;
        END IF;
        SELECT * INTO v_effective_mode, v_mode_reason, v_compile_status
        FROM pgtrickle._mode_decision(v_display, v_mode, v_analysis.unstable_functions,
                                      v_st.compile_status, v_st.compile_error);
    END IF;
    PERFORM pgtrickle._set_options(v_st.pgt_id, p_schedule IS NOT NULL OR v_switch, v_schedule,
        CASE WHEN p_refresh_mode IS NOT NULL OR v_switch THEN v_mode END,
        v_effective_mode, v_mode_reason, v_compile_status, v_status, v_tier,
        p_append_only, p_cdc_mode IS NOT NULL, v_cdc_mode);
    IF v_switch THEN
        PERFORM pgtrickle._switch_immediate(v_st.pgt_id);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._drop_stream_table(p_st pgtrickle.pgt_stream_tables, p_cascade boolean)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_display text := pgtrickle._display_name(p_st.pgt_schema, p_st.pgt_name);
    v_dependents text;
    v_dependent pgtrickle.pgt_stream_tables;
    v_sources oid[];
    v_source oid;
    v_exists boolean := EXISTS (SELECT 1 FROM pg_class WHERE oid = p_st.pgt_relid);
BEGIN
    SELECT string_agg(pgtrickle._display_name(st.pgt_schema, st.pgt_name), ', ' ORDER BY st.pgt_name)
    INTO v_dependents
    FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
    WHERE d.source_relid = p_st.pgt_relid;
    IF v_dependents IS NOT NULL AND NOT p_cascade THEN
        RAISE EXCEPTION 'cannot drop stream table "%": stream table(s) % read it', v_display, v_dependents
            USING ERRCODE = 'dependent_objects_still_exist',
                  HINT = 'Drop them first, or use cascade => true to drop them too.';
    END IF;
    -- Locked before its dependents, as a refresh locks its sources before its storage (see
    -- _lock_sources): the other order deadlocks with a refresh of a dependent.
    IF v_exists THEN
        PERFORM pgtrickle._lock_storage(p_st, 'ACCESS EXCLUSIVE');
    END IF;
    -- One at a time, re-reading the dependents: dropping one may already have dropped another
    -- (a diamond: c reads both a and b, b reads a).
    LOOP
        SELECT st.* INTO v_dependent
        FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
        WHERE d.source_relid = p_st.pgt_relid
        LIMIT 1;
        EXIT WHEN NOT FOUND;
        PERFORM pgtrickle._drop_stream_table(v_dependent, true);
    END LOOP;

    v_sources := pgtrickle._sources_of(p_st.pgt_id);
    IF p_st.refresh_mode = 'IMMEDIATE' THEN
        PERFORM pgtrickle._drop_immediate(p_st);
    END IF;
    PERFORM pgtrickle._unregister(p_st.pgt_id);
    IF v_exists THEN
        EXECUTE format('DROP TABLE %s%s', p_st.pgt_relid::regclass, CASE WHEN p_cascade THEN ' CASCADE' ELSE '' END);
    END IF;
    FOREACH v_source IN ARRAY v_sources LOOP
        PERFORM pgtrickle._drop_capture_if_unused(v_source);
    END LOOP;
    -- The table left its publications with it; one pgtrickle created for it goes too.
    IF p_st.publication IS NOT NULL THEN
        PERFORM pgtrickle._drop_empty_publications();
    END IF;
END
$$;

-- diamond_consistency: 'none' or 'atomic' (any case), anything else an error naming both.
CREATE OR REPLACE FUNCTION pgtrickle._normalize_diamond_consistency(p_value text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_value IS NULL OR lower(btrim(p_value)) IN ('none', 'atomic') THEN
        RETURN lower(btrim(p_value));
    END IF;
    RAISE EXCEPTION 'invalid diamond_consistency "%": use ''none'' or ''atomic''', p_value
        USING ERRCODE = 'invalid_parameter_value';
END
$$;

-- Catalog owner part of setting diamond_consistency (the caller holds the storage lock).
CREATE OR REPLACE FUNCTION pgtrickle._store_diamond_consistency(p_pgt_id bigint, p_value text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id);
    UPDATE pgtrickle.pgt_stream_tables SET diamond_consistency = p_value, altered_at = now()
    WHERE pgt_id = p_pgt_id AND diamond_consistency IS DISTINCT FROM p_value;
    IF FOUND THEN
        PERFORM pgtrickle._notify_catalog('altered', p_pgt_id);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._set_diamond_consistency(p_name text, p_value text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(p_name);
BEGIN
    PERFORM pgtrickle._lock_storage(v_st);
    PERFORM pgtrickle._store_diamond_consistency(v_st.pgt_id, pgtrickle._normalize_diamond_consistency(p_value));
END
$$;

-- ---------------------------------------------------------------------------------------------
-- Public API
-- ---------------------------------------------------------------------------------------------

-- (Catalog version 9 added diamond_consistency: the shorter signatures would make calls ambiguous.)
DROP FUNCTION IF EXISTS pgtrickle.create_stream_table(text, text, text, text, boolean, boolean, text);
DROP FUNCTION IF EXISTS pgtrickle.create_stream_table_if_not_exists(text, text, text, text, boolean, boolean, text);
DROP FUNCTION IF EXISTS pgtrickle.create_or_replace_stream_table(text, text, text, text, boolean, boolean, text);
DROP FUNCTION IF EXISTS pgtrickle.alter_stream_table(text, text, text, text, text, text, boolean, text);

CREATE OR REPLACE FUNCTION pgtrickle.create_stream_table(
    name text, query text, schedule text DEFAULT 'calculated', refresh_mode text DEFAULT 'AUTO',
    initialize boolean DEFAULT true, append_only boolean DEFAULT false, cdc_mode text DEFAULT NULL,
    diamond_consistency text DEFAULT 'none')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_diamond text := pgtrickle._normalize_diamond_consistency(coalesce($8, 'none'));
BEGIN
    PERFORM pgtrickle._create_stream_table($1, $2, $3, $4, $5, $6, $7, pg_catalog.current_setting('search_path'));
    IF v_diamond <> 'none' THEN
        PERFORM pgtrickle._set_diamond_consistency($1, v_diamond);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle.create_stream_table_if_not_exists(
    name text, query text, schedule text DEFAULT 'calculated', refresh_mode text DEFAULT 'AUTO',
    initialize boolean DEFAULT true, append_only boolean DEFAULT false, cdc_mode text DEFAULT NULL,
    diamond_consistency text DEFAULT 'none')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_name record := pgtrickle._split_name($1);
BEGIN
    IF (pgtrickle._lookup_stream_table($1)).pgt_id IS NOT NULL THEN
        RAISE NOTICE 'stream table "%" already exists, skipping',
            pgtrickle._display_name(v_name.schema_name, v_name.rel_name);
        RETURN;
    END IF;
    PERFORM pgtrickle.create_stream_table($1, $2, $3, $4, $5, $6, $7, $8);
END
$$;

-- Creates the stream table, or brings an existing one to the given definition: nothing when
-- the normalized query and options are identical, an option change when only options differ,
-- and an in-place rebuild when the query differs.
CREATE OR REPLACE FUNCTION pgtrickle._create_or_replace_stream_table(
    p_name text, p_query text, p_schedule text, p_refresh_mode text, p_initialize boolean,
    p_append_only boolean, p_cdc_mode text, p_search_path text)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
    v_analysis record;
    v_mode text := pgtrickle._schedule_mode(p_schedule, p_refresh_mode);
    v_schedule text := CASE WHEN v_mode <> 'IMMEDIATE' THEN pgtrickle.normalize_schedule(p_schedule) END;
    v_cdc_mode text := pgtrickle._normalize_cdc_mode(p_cdc_mode);
    v_append_only boolean := coalesce(p_append_only, false);
    v_same_options boolean;
    v_decision record;
    v_switch boolean;
BEGIN
    IF (pgtrickle._lookup_stream_table(p_name)).pgt_id IS NULL THEN
        PERFORM pgtrickle._create_stream_table(p_name, p_query, p_schedule, p_refresh_mode, p_initialize,
                                               p_append_only, p_cdc_mode, p_search_path);
        RETURN;
    END IF;
    v_st := pgtrickle._find_stream_table(p_name);
    v_analysis := pgtrickle._analyze_query(p_query, p_search_path);
    v_switch := pgtrickle._prepare_immediate_change(v_st, v_mode, v_analysis.normalized <> v_st.normalized_query);
    PERFORM pgtrickle._lock_storage(v_st);
    v_same_options := v_st.schedule IS NOT DISTINCT FROM v_schedule AND v_st.refresh_mode = v_mode
        AND v_st.append_only = v_append_only AND v_st.cdc_mode IS NOT DISTINCT FROM v_cdc_mode;
    IF v_analysis.normalized = v_st.normalized_query AND v_same_options THEN
        RAISE NOTICE 'stream table "%" is unchanged', pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name);
        RETURN;
    END IF;
    IF v_analysis.normalized <> v_st.normalized_query THEN
        PERFORM pgtrickle._refuse_if_published(v_st);
        PERFORM pgtrickle._replace_query(v_st, p_query, v_analysis, v_mode);
    END IF;
    SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = v_st.pgt_id;
    v_decision := pgtrickle._mode_decision(pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name),
                                           v_mode, v_analysis.unstable_functions,
                                           v_st.compile_status, v_st.compile_error);
    PERFORM pgtrickle._set_options(v_st.pgt_id, true, v_schedule, v_mode,
        v_decision.effective_mode, v_decision.mode_reason, v_decision.compile_status, NULL, NULL,
        v_append_only, true, v_cdc_mode);
    IF v_switch THEN
        PERFORM pgtrickle._switch_immediate(v_st.pgt_id);
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle.create_or_replace_stream_table(
    name text, query text, schedule text DEFAULT 'calculated', refresh_mode text DEFAULT 'AUTO',
    initialize boolean DEFAULT true, append_only boolean DEFAULT false, cdc_mode text DEFAULT NULL,
    diamond_consistency text DEFAULT 'none')
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_diamond text := pgtrickle._normalize_diamond_consistency(coalesce($8, 'none'));
BEGIN
    PERFORM pgtrickle._create_or_replace_stream_table($1, $2, $3, $4, $5, $6, $7,
                                                      pg_catalog.current_setting('search_path'));
    PERFORM pgtrickle._set_diamond_consistency($1, v_diamond);
END
$$;

-- Changes a stream table; NULL arguments leave that property unchanged.
-- schedule => 'calculated' switches to the calculated schedule.
CREATE OR REPLACE FUNCTION pgtrickle.alter_stream_table(
    name text, query text DEFAULT NULL, schedule text DEFAULT NULL, refresh_mode text DEFAULT NULL,
    status text DEFAULT NULL, tier text DEFAULT NULL, append_only boolean DEFAULT NULL,
    cdc_mode text DEFAULT NULL, diamond_consistency text DEFAULT NULL)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_diamond text := pgtrickle._normalize_diamond_consistency($9);
BEGIN
    PERFORM pgtrickle._alter_stream_table($1, $2, $3, $4, $5, $6, $7, $8, pg_catalog.current_setting('search_path'));
    IF v_diamond IS NOT NULL THEN
        PERFORM pgtrickle._set_diamond_consistency($1, v_diamond);
    END IF;
END
$$;

-- Drops a stream table: its storage table, catalog rows and the capture objects no other stream
-- table needs. With cascade => true, stream tables (and other objects) reading it go too.
CREATE OR REPLACE FUNCTION pgtrickle.drop_stream_table(name text, cascade boolean DEFAULT false)
RETURNS void LANGUAGE sql AS $$
    SELECT pgtrickle._drop_stream_table(pgtrickle._find_stream_table($1), coalesce($2, false))
$$;

-- Stream tables created before catalog version 5 were not analyzed for functions whose result
-- changes while no source changes (see _unstable_functions): analyze them now. Those found were
-- maintained differentially and could hold stale rows; they are refreshed FULL from now on (the
-- plan stays, for its populate query), or, if DIFFERENTIAL was asked for, put in ERROR. Dynamic
-- SQL: an install stopped at an older version (tests of upgrades) runs this script too.
DO $$
DECLARE
    v_st record;
    v_unstable text[];
    v_why text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'pgtrickle.pgt_stream_tables'::regclass
                   AND attname = 'unstable_functions' AND NOT attisdropped) THEN
        RETURN;
    END IF;
    FOR v_st IN EXECUTE
        'SELECT pgt_id, definition_view, refresh_mode FROM pgtrickle.pgt_stream_tables
         WHERE unstable_functions IS NULL AND to_regclass(format(''pgtrickle.%I'', definition_view)) IS NOT NULL'
    LOOP
        v_unstable := pgtrickle._unstable_functions(format('pgtrickle.%I', v_st.definition_view)::regclass);
        v_why := 'its result can change while no source changes: ' || array_to_string(v_unstable, ', ');
        EXECUTE $sql$
            UPDATE pgtrickle.pgt_stream_tables
            SET unstable_functions = $2,
                effective_mode = CASE WHEN $4 THEN 'FULL' ELSE effective_mode END,
                compile_status = CASE WHEN NOT $4 THEN compile_status
                                      WHEN $3 = 'DIFFERENTIAL' THEN 'UNSUPPORTED' ELSE 'NOT_NEEDED' END,
                compile_error = CASE WHEN $4 AND $3 = 'DIFFERENTIAL' THEN $5 ELSE compile_error END,
                mode_reason = CASE WHEN $4 THEN array_to_string($2, ', ') || ': refreshed FULL' ELSE mode_reason END,
                status = CASE WHEN $4 AND $3 = 'DIFFERENTIAL' THEN 'ERROR' ELSE status END,
                last_error = CASE WHEN $4 AND $3 = 'DIFFERENTIAL' THEN 'cannot be refreshed DIFFERENTIAL: ' || $5
                                  ELSE last_error END
            WHERE pgt_id = $1
        $sql$ USING v_st.pgt_id, v_unstable, v_st.refresh_mode,
                    cardinality(v_unstable) > 0 AND v_st.refresh_mode <> 'FULL', v_why;
    END LOOP;
END
$$;

-- Stream tables created before catalog version 11 whose query reads the clock were refreshed FULL
-- without being compiled; the compiler maintains comparisons of columns with the clock now, so it
-- gets to look at them (it says why where it cannot). Dynamic SQL, as above.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = 'pgtrickle.pgt_stream_tables'::regclass
                   AND attname = 'clock_frontier' AND NOT attisdropped) THEN
        RETURN;
    END IF;
    EXECUTE $sql$
        UPDATE pgtrickle.pgt_stream_tables
        SET compile_status = 'PENDING',
            mode_reason = 'waiting for the differential compiler (pgtrickle compile): refreshed FULL'
        WHERE compile_status = 'NOT_NEEDED' AND refresh_mode <> 'FULL'
          AND cardinality(unstable_functions) > 0
          AND cardinality(pgtrickle._beyond_clock(unstable_functions)) = 0
    $sql$;
END
$$;
