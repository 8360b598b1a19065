-- Trigger-based change capture (docs/architecture.md, "Change capture with triggers").
--
-- One buffer per captured source table, pgtrickle_changes.changes_<source oid>, shared by every
-- stream table that reads the source. Each row carries the writer's top-level transaction id
-- (xid8), an action ('I' = weight +1, 'D' = weight -1, 'T' = TRUNCATE marker) and the source's
-- columns, typed as in the source. An UPDATE is stored as 'D' of the old row plus 'I' of the new.
--
-- The buffer and the capture function belong to the catalog owner; the capture function is
-- SECURITY DEFINER with a pinned search_path, so writers need no rights on the buffers. The
-- triggers themselves are created by the stream table's creator, who owns the source table (or
-- holds TRIGGER on it).

-- User columns of a relation (hidden __pgt_ columns excluded): their names, their types as
-- "type [COLLATE ...]", "name type" definitions for CREATE TABLE, and a quoted name list.
CREATE OR REPLACE FUNCTION pgtrickle._column_definitions(
    p_relid oid, OUT names name[], OUT types text[], OUT definitions text, OUT name_list text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_agg(col.attname ORDER BY col.attnum),
           array_agg(col.type ORDER BY col.attnum),
           string_agg(format('%I %s', col.attname, col.type), ', ' ORDER BY col.attnum),
           string_agg(quote_ident(col.attname), ', ' ORDER BY col.attnum)
    FROM (
        SELECT a.attnum, a.attname,
               format_type(a.atttypid, a.atttypmod)
               || CASE WHEN a.attcollation <> 0 AND a.attcollation <> t.typcollation
                       THEN format(' COLLATE %I.%I', cn.nspname, co.collname) ELSE '' END AS type
        FROM pg_attribute a
        JOIN pg_type t ON t.oid = a.atttypid
        LEFT JOIN pg_collation co ON co.oid = a.attcollation
        LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
        WHERE a.attrelid = p_relid AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname !~ '^__pgt_'
    ) AS col
$$;

-- The statements on a buffer that every refresh runs, as functions of the buffer: PL/pgSQL keeps
-- the plan of a static statement for the session, where EXECUTE of a formatted statement plans
-- it again at every call (for the cleanup's DELETE, about as long as deleting 1,000 rows).
-- Named after the buffer (<buffer>_pending, <buffer>_cleanup); only the catalog owner, whose
-- SECURITY DEFINER helpers call them, may execute them. Idempotent.
--   <buffer>_pending(frontier, own xid, own seq): whether a change is not covered by the frontier.
--   New rows are appended, while the pages before them hold the rows consumed and deleted since
--   the last VACUUM (up to 10,000, see docs/architecture.md, "Vacuuming the change buffers"):
--   the last page is looked at first (a TID range scan), then, if it has no pending row, all.
--   <buffer>_cleanup(source, below): deletes the rows covered by every populated reader's
--   frontier, looking only at xids below p_below when given (see _cleanup_buffers). The
--   frontiers are read once, not joined from the catalog for every row; one reader, the usual
--   case, is one comparison per row, and with several, rows older than every frontier's xmin
--   need none (2,700 rows, 8 readers: 2 instead of 4 ms).
CREATE OR REPLACE FUNCTION pgtrickle._create_buffer_functions(p_buffer name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(p_frontier pg_snapshot, p_own_xid xid8, p_own_seq bigint) '
        'RETURNS boolean LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS %L',
        p_buffer || '_pending', format($body$
DECLARE
    v_last_page tid := format('(%%s,0)', greatest(pg_relation_size('pgtrickle_changes.%1$I'::regclass)
                                                  / current_setting('block_size')::int - 1, 0))::tid;
BEGIN
    RETURN EXISTS (SELECT 1 FROM pgtrickle_changes.%1$I b
                   WHERE b.ctid >= v_last_page
                     AND NOT pgtrickle._covered(b.__pgt_xid, b.__pgt_seq, p_frontier, p_own_xid, p_own_seq))
        OR EXISTS (SELECT 1 FROM pgtrickle_changes.%1$I b
                   WHERE NOT pgtrickle._covered(b.__pgt_xid, b.__pgt_seq, p_frontier, p_own_xid, p_own_seq));
END
$body$, p_buffer));
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION pgtrickle_changes.%I(p_source oid, p_below xid8) '
        'RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS %L',
        p_buffer || '_cleanup', format($body$
DECLARE
    v_frontiers pg_snapshot[];
    v_own_xids xid8[];
    v_own_seqs bigint[];
    v_xmin xid8;
BEGIN
    SELECT coalesce(array_agg(st.frontier), '{}'), array_agg(st.frontier_own_xid), array_agg(st.frontier_own_seq),
           min(pg_snapshot_xmin(st.frontier))
    INTO v_frontiers, v_own_xids, v_own_seqs, v_xmin
    FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
    WHERE d.source_relid = p_source AND st.frontier IS NOT NULL;
    IF cardinality(v_frontiers) = 1 THEN
        DELETE FROM pgtrickle_changes.%1$I b
        WHERE (p_below IS NULL OR b.__pgt_xid < p_below)
          AND pgtrickle._covered(b.__pgt_xid, b.__pgt_seq, v_frontiers[1], v_own_xids[1], v_own_seqs[1]);
    ELSE
        -- A row older than every frontier's xmin is covered by all of them (a frontier's own
        -- transaction is never older than its xmin); only newer ones are compared one by one.
        DELETE FROM pgtrickle_changes.%1$I b
        WHERE (p_below IS NULL OR b.__pgt_xid < p_below)
          AND (b.__pgt_xid < v_xmin
               OR NOT EXISTS (SELECT 1 FROM unnest(v_frontiers, v_own_xids, v_own_seqs) AS r(frontier, own_xid, own_seq)
                              WHERE NOT pgtrickle._covered(b.__pgt_xid, b.__pgt_seq, r.frontier, r.own_xid, r.own_seq)));
    END IF;
END
$body$, p_buffer));
    EXECUTE format('REVOKE ALL ON FUNCTION pgtrickle_changes.%I(pg_snapshot, xid8, bigint) FROM PUBLIC',
                   p_buffer || '_pending');
    EXECUTE format('REVOKE ALL ON FUNCTION pgtrickle_changes.%I(oid, xid8) FROM PUBLIC', p_buffer || '_cleanup');
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._drop_buffer_functions(p_buffer name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(pg_snapshot, xid8, bigint)', p_buffer || '_pending');
    EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I(oid, xid8)', p_buffer || '_cleanup');
END
$$;

-- Creates the change buffer and capture function of a source table unless they exist.
-- Returns the capture function's name (in schema pgtrickle_changes).
CREATE OR REPLACE FUNCTION pgtrickle._ensure_change_buffer(p_source oid) RETURNS name
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $ensure$
DECLARE
    v_buffer name := 'changes_' || p_source;
    v_function name := 'capture_' || p_source;
    v_rel record;
    v_cols record;
    v_body text;
BEGIN
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_change_sources WHERE source_relid = p_source) THEN
        RETURN (SELECT capture_function FROM pgtrickle.pgt_change_sources WHERE source_relid = p_source);
    END IF;
    SELECT n.nspname, c.relname, c.relkind INTO v_rel
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = p_source;
    IF NOT FOUND OR v_rel.relkind NOT IN ('r', 'p') THEN
        RAISE EXCEPTION 'relation with oid % is not a table whose changes can be captured', p_source
            USING ERRCODE = 'wrong_object_type';
    END IF;
    v_cols := pgtrickle._column_definitions(p_source);
    IF v_cols.definitions IS NULL THEN
        RAISE EXCEPTION 'table %.% has no columns to capture', v_rel.nspname, v_rel.relname
            USING ERRCODE = 'feature_not_supported';
    END IF;

    EXECUTE format(
        'CREATE TABLE pgtrickle_changes.%I ('
        '__pgt_xid xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(), '
        '__pgt_seq bigint NOT NULL, __pgt_action "char" NOT NULL, %s)', v_buffer, v_cols.definitions);
    EXECUTE format('COMMENT ON TABLE pgtrickle_changes.%I IS %L', v_buffer,
        format('pgtrickle: change buffer of %I.%I', v_rel.nspname, v_rel.relname));
    PERFORM pgtrickle._create_buffer_functions(v_buffer);

    -- One INSERT ... SELECT per statement from the transition tables, its rows stamped with one
    -- sequence value (an uncorrelated subquery runs once). CREATE OR REPLACE: a capture function
    -- left behind as a no-op (see _drop_change_buffer) is brought back to life.
    -- The body holds the source's column names, so it is passed as a %L literal: in a dollar
    -- quote, a column named like x$body$ would end the body there. use_column: a column named like
    -- a PL/pgSQL variable of every trigger function (found, tg_op, new, ...) is the column.
    v_body := format($fn$
#variable_conflict use_column
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO pgtrickle_changes.%1$I (__pgt_seq, __pgt_action, %2$s)
        SELECT (SELECT nextval('pgtrickle.pgt_capture_seq')), 'I', %2$s FROM __pgt_new;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO pgtrickle_changes.%1$I (__pgt_seq, __pgt_action, %2$s)
        SELECT (SELECT nextval('pgtrickle.pgt_capture_seq')), __pgt_action, %2$s FROM (
            SELECT 'D' AS __pgt_action, %2$s FROM __pgt_old
            UNION ALL
            SELECT 'I', %2$s FROM __pgt_new) AS changes;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO pgtrickle_changes.%1$I (__pgt_seq, __pgt_action, %2$s)
        SELECT (SELECT nextval('pgtrickle.pgt_capture_seq')), 'D', %2$s FROM __pgt_old;
    ELSE
        INSERT INTO pgtrickle_changes.%1$I (__pgt_seq, __pgt_action)
        VALUES (nextval('pgtrickle.pgt_capture_seq'), 'T');
    END IF;
    RETURN NULL;
END
$fn$, v_buffer, v_cols.name_list);
    EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger '
                   'LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS %L',
                   v_function, v_body);
    EXECUTE format('COMMENT ON FUNCTION pgtrickle_changes.%I() IS %L', v_function,
        format('pgtrickle: captures changes of %I.%I', v_rel.nspname, v_rel.relname));

    INSERT INTO pgtrickle.pgt_change_sources
        (source_relid, source_schema, source_name, buffer_table, capture_function, captured_columns)
    VALUES (p_source, v_rel.nspname, v_rel.relname, v_buffer, v_function, v_cols.names);
    RETURN v_function;
END
$ensure$;

-- The table and its partitions or inheritance children, at any depth: a statement's triggers
-- fire on the table it names only, so DML aimed at a partition directly must be captured there.
-- Through the parent, only the parent's triggers fire: nothing is captured twice.
CREATE OR REPLACE FUNCTION pgtrickle._table_and_descendants(p_table oid) RETURNS SETOF oid
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH RECURSIVE tree(relid) AS (
        SELECT p_table
        UNION
        SELECT i.inhrelid FROM tree JOIN pg_inherits i ON i.inhparent = tree.relid
    )
    SELECT relid FROM tree
$$;

-- Creates the four capture triggers on a source table and its descendants, as the calling
-- role; all of them write the source's buffer. Idempotent.
CREATE OR REPLACE FUNCTION pgtrickle._install_capture_triggers(p_source oid, p_function name)
RETURNS void LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_trigger record;
BEGIN
    FOR v_trigger IN
        SELECT t.*, tables.relid FROM pgtrickle._table_and_descendants(p_source) AS tables(relid)
        CROSS JOIN (VALUES
            ('pgtrickle_capture_insert', 'INSERT', 'REFERENCING NEW TABLE AS __pgt_new'),
            ('pgtrickle_capture_update', 'UPDATE', 'REFERENCING OLD TABLE AS __pgt_old NEW TABLE AS __pgt_new'),
            ('pgtrickle_capture_delete', 'DELETE', 'REFERENCING OLD TABLE AS __pgt_old'),
            ('pgtrickle_capture_truncate', 'TRUNCATE', '')) AS t(tgname, event, referencing)
        WHERE NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = tables.relid AND tgname = t.tgname)
    LOOP
        BEGIN
            EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s %s FOR EACH STATEMENT '
                           'EXECUTE FUNCTION pgtrickle_changes.%I()',
                           v_trigger.tgname, v_trigger.event, v_trigger.relid::regclass,
                           v_trigger.referencing, p_function);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'cannot capture changes of table %: permission denied to create triggers on it',
                v_trigger.relid::regclass
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'The owner of the table (or a role with the TRIGGER privilege on it) must create the first stream table over it.';
        END;
    END LOOP;
END
$$;

-- Removes capture from a source that no stream table reads any more: the triggers as the
-- calling role, then the buffer and function as the catalog owner.
CREATE OR REPLACE FUNCTION pgtrickle._drop_capture_if_unused(p_source oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
               WHERE d.source_relid = p_source AND st.refresh_mode <> 'IMMEDIATE')
       OR NOT EXISTS (SELECT 1 FROM pgtrickle.pgt_change_sources WHERE source_relid = p_source) THEN
        RETURN;
    END IF;
    PERFORM pgtrickle._drop_capture_triggers(p_source, true);
    PERFORM pgtrickle._drop_change_buffer(p_source);
END
$$;

-- Drops the capture triggers of a source and its descendants, as the calling role. With
-- p_keep_denied, a trigger the role may not drop stays (the capture function then becomes a no-op,
-- see _drop_change_buffer) with a NOTICE; otherwise the error is raised.
CREATE OR REPLACE FUNCTION pgtrickle._drop_capture_triggers(p_source oid, p_keep_denied boolean) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_trigger record;
BEGIN
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid FROM pgtrickle._table_and_descendants(p_source) AS tables(relid)
        JOIN pg_trigger t ON t.tgrelid = tables.relid
        WHERE t.tgname IN ('pgtrickle_capture_insert', 'pgtrickle_capture_update',
                           'pgtrickle_capture_delete', 'pgtrickle_capture_truncate')
    LOOP
        BEGIN
            EXECUTE format('DROP TRIGGER %I ON %s', v_trigger.tgname, v_trigger.tgrelid::regclass);
        EXCEPTION WHEN insufficient_privilege THEN
            IF NOT p_keep_denied THEN
                RAISE;
            END IF;
            RAISE NOTICE 'capture trigger % on table % stays in place as a no-op: only the table''s owner can drop it',
                v_trigger.tgname, v_trigger.tgrelid::regclass;
        END;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._drop_change_buffer(p_source oid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_source pgtrickle.pgt_change_sources;
BEGIN
    SELECT * INTO v_source FROM pgtrickle.pgt_change_sources WHERE source_relid = p_source FOR UPDATE;
    IF NOT FOUND OR EXISTS (SELECT 1 FROM pgtrickle.pgt_dependencies d JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
                            WHERE d.source_relid = p_source AND st.refresh_mode <> 'IMMEDIATE') THEN
        RETURN;
    END IF;
    EXECUTE format('DROP TABLE IF EXISTS pgtrickle_changes.%I', v_source.buffer_table);
    PERFORM pgtrickle._drop_buffer_functions(v_source.buffer_table);
    IF EXISTS (SELECT 1 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
               WHERE p.proname = v_source.capture_function
                 AND p.pronamespace = 'pgtrickle_changes'::regnamespace) THEN
        -- A trigger we could not drop still calls the function: keep it, as a no-op.
        EXECUTE format('CREATE OR REPLACE FUNCTION pgtrickle_changes.%I() RETURNS trigger '
                       'LANGUAGE plpgsql AS $body$BEGIN RETURN NULL; END$body$',
                       v_source.capture_function);
    ELSE
        EXECUTE format('DROP FUNCTION IF EXISTS pgtrickle_changes.%I()', v_source.capture_function);
    END IF;
    DELETE FROM pgtrickle.pgt_change_sources WHERE source_relid = p_source;
END
$$;

-- Buffers created before their functions existed get them (this file runs at every install).
DO $$
DECLARE
    v_buffer name;
BEGIN
    FOR v_buffer IN
        SELECT cs.buffer_table FROM pgtrickle.pgt_change_sources cs
        WHERE to_regclass(format('pgtrickle_changes.%I', cs.buffer_table)) IS NOT NULL
    LOOP
        PERFORM pgtrickle._create_buffer_functions(v_buffer);
    END LOOP;
END
$$;
