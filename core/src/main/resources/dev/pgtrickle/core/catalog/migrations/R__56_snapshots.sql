-- Snapshots of stream tables (docs/sql-reference.md, "Operations"): a copy of a stream table's
-- rows in a plain table of the user's, for a look back, a comparison, a fixture, or to put the
-- rows back. Run as the caller: reading the stream table and creating or dropping the snapshot
-- table use the caller's rights; the catalog rows are written by SECURITY DEFINER helpers that
-- check the caller's lock on the storage table (or that the snapshot table is gone).

-- The visible columns of a stream table's storage table, or of a snapshot table, in order, with
-- their types: what a snapshot copies and what a restore needs to find again.
CREATE OR REPLACE FUNCTION pgtrickle._visible_columns(p_relid regclass, OUT names text[], OUT types text[])
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT array_agg(attname::text ORDER BY attnum), array_agg(format_type(atttypid, atttypmod) ORDER BY attnum)
    FROM pg_attribute WHERE attrelid = p_relid AND attnum > 0 AND NOT attisdropped AND attname !~ '^__pgt_'
$$;

-- The same columns quoted, as a select list (a snapshot's copy) or a publication's column list.
CREATE OR REPLACE FUNCTION pgtrickle._visible_column_list(p_relid regclass) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT string_agg(quote_ident(c), ', ' ORDER BY n)
    FROM unnest((pgtrickle._visible_columns(p_relid)).names) WITH ORDINALITY AS c(c, n)
$$;

CREATE OR REPLACE FUNCTION pgtrickle._record_snapshot(
    p_pgt_id bigint, p_snapshot oid, p_rows bigint, p_data_timestamp timestamptz, p_frontier pg_snapshot) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id);
    INSERT INTO pgtrickle.pgt_snapshots (snapshot_relid, pgt_id, created_at, data_timestamp, frontier, row_count)
    VALUES (p_snapshot, p_pgt_id, clock_timestamp(), p_data_timestamp, p_frontier, p_rows);
END
$$;

-- Forgets snapshots whose tables were dropped (by drop_snapshot, or by DROP TABLE).
CREATE OR REPLACE FUNCTION pgtrickle._forget_dropped_snapshots() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM pgtrickle.pgt_snapshots s WHERE NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = s.snapshot_relid);
END
$$;

-- A registered snapshot table by name (without a schema: in schema public, as for stream tables);
-- an error naming what it is not.
-- (OUT columns rather than the table's row type: repeatable scripts also run against catalog
-- version 1, which has no pgt_snapshots; see docs/architecture.md, "Migrations".)
CREATE OR REPLACE FUNCTION pgtrickle._find_snapshot(
    p_snapshot text, OUT snapshot_relid oid, OUT pgt_id bigint, OUT created_at timestamptz,
    OUT data_timestamp timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_parts text[];
    v_relid regclass;
BEGIN
    BEGIN
        v_parts := parse_ident(p_snapshot);
        IF cardinality(v_parts) = 1 THEN
            v_relid := to_regclass(format('public.%I', v_parts[1]));
        ELSIF cardinality(v_parts) = 2 THEN
            v_relid := to_regclass(format('%I.%I', v_parts[1], v_parts[2]));
        END IF;
    EXCEPTION WHEN invalid_parameter_value THEN
        v_relid := NULL;
    END;
    SELECT s.snapshot_relid, s.pgt_id, s.created_at, s.data_timestamp
    INTO snapshot_relid, pgt_id, created_at, data_timestamp
    FROM pgtrickle.pgt_snapshots s WHERE s.snapshot_relid = v_relid;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'snapshot "%" does not exist', p_snapshot
            USING ERRCODE = 'undefined_table', HINT = 'pgtrickle.list_snapshots() lists the snapshots.';
    END IF;
END
$$;

-- Copies the stream table's rows (its visible columns) into a new table, by default
-- <table>_snapshot_<UTC time> beside it, and returns the table's name. Taken under the stream
-- table's lock, so the rows are those of one refresh.
CREATE OR REPLACE FUNCTION pgtrickle.snapshot_stream_table(name text, snapshot_name text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    v_storage regclass;
    v_parts text[];
    v_schema text;
    v_table text;
    v_target text;
    v_rows bigint;
BEGIN
    v_st := pgtrickle._locked(v_st.pgt_id);
    v_storage := pgtrickle._storage_of(v_st);
    v_schema := (SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = v_storage);
    IF snapshot_name IS NULL THEN
        v_table := left((SELECT relname FROM pg_class WHERE oid = v_storage), 38) || '_snapshot_'
                   || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD"_"HH24MISS"_"US');
    ELSE
        BEGIN
            v_parts := parse_ident(snapshot_name);
        EXCEPTION WHEN invalid_parameter_value THEN
            v_parts := NULL;
        END;
        IF cardinality(v_parts) NOT IN (1, 2) OR v_parts IS NULL THEN
            RAISE EXCEPTION 'invalid snapshot name "%": expected name or schema.name', snapshot_name
                USING ERRCODE = 'invalid_name';
        END IF;
        IF cardinality(v_parts) = 2 THEN
            v_schema := v_parts[1];
        END IF;
        v_table := v_parts[cardinality(v_parts)];
    END IF;
    v_target := format('%I.%I', v_schema, v_table);
    IF to_regclass(v_target) IS NOT NULL THEN
        RAISE EXCEPTION 'relation % already exists', v_target USING ERRCODE = 'duplicate_table';
    END IF;
    EXECUTE format('CREATE TABLE %s AS SELECT %s FROM %s', v_target, pgtrickle._visible_column_list(v_storage), v_storage);
    GET DIAGNOSTICS v_rows = ROW_COUNT;
    PERFORM pgtrickle._record_snapshot(v_st.pgt_id, v_target::regclass, v_rows, v_st.data_timestamp, v_st.frontier);
    RETURN v_target;
END
$$;

-- The snapshots of one stream table, or of all, newest first.
CREATE OR REPLACE FUNCTION pgtrickle.list_snapshots(name text DEFAULT NULL)
RETURNS TABLE (stream_table text, snapshot_table text, created_at timestamptz, data_timestamp timestamptz,
               row_count bigint, size_bytes bigint)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_pgt_id bigint := CASE WHEN name IS NOT NULL THEN (pgtrickle._find_stream_table(name)).pgt_id END;
BEGIN
    RETURN QUERY
    SELECT pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name), s.snapshot_relid::regclass::text,
           s.created_at, s.data_timestamp, s.row_count, pg_total_relation_size(s.snapshot_relid)
    FROM pgtrickle.pgt_snapshots s
    JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
    JOIN pg_class c ON c.oid = s.snapshot_relid
    WHERE v_pgt_id IS NULL OR s.pgt_id = v_pgt_id
    ORDER BY s.created_at DESC, 2;
END
$$;

-- Drops a snapshot table (with the rights to drop it) and forgets it.
CREATE OR REPLACE FUNCTION pgtrickle.drop_snapshot(snapshot text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_snapshot record := pgtrickle._find_snapshot(snapshot);
BEGIN
    EXECUTE format('DROP TABLE %s', v_snapshot.snapshot_relid::regclass);
    PERFORM pgtrickle._forget_dropped_snapshots();
END
$$;

-- Marks a stream table whose rows were put back from a snapshot: suspended, with no frontier (its
-- next refresh, once resumed, recomputes it: the change buffers no longer hold what happened since
-- the snapshot), its data as old as the snapshot's.
CREATE OR REPLACE FUNCTION pgtrickle._mark_restored(p_pgt_id bigint, p_note text, p_data_timestamp timestamptz)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id);
    UPDATE pgtrickle.pgt_stream_tables
    SET status = 'SUSPENDED', frontier = NULL, frontier_own_xid = NULL, frontier_own_seq = NULL,
        data_timestamp = p_data_timestamp, last_error = p_note, altered_at = now()
    WHERE pgt_id = p_pgt_id;
    PERFORM pgtrickle._notify_catalog('altered', p_pgt_id);
END
$$;

-- Puts a snapshot's rows back into its stream table (as a difference where it is published) and
-- suspends the stream table, which then shows the snapshot's data until it is resumed
-- (alter_stream_table(status => 'ACTIVE')); its first refresh then recomputes it.
CREATE OR REPLACE FUNCTION pgtrickle.restore_from_snapshot(name text, snapshot text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    v_display text := pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name);
    v_snapshot record := pgtrickle._find_snapshot(snapshot);
    v_storage regclass;
    v_columns record;
BEGIN
    IF v_snapshot.pgt_id <> v_st.pgt_id THEN
        RAISE EXCEPTION 'snapshot % was taken of another stream table, not of %', v_snapshot.snapshot_relid::regclass, v_display
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    v_st := pgtrickle._locked(v_st.pgt_id);
    v_storage := pgtrickle._storage_of(v_st);
    v_columns := pgtrickle._visible_columns(v_storage);
    IF v_columns IS DISTINCT FROM pgtrickle._visible_columns(v_snapshot.snapshot_relid::regclass) THEN
        RAISE EXCEPTION 'snapshot % does not have the columns of stream table % (names and types, in order)',
            v_snapshot.snapshot_relid::regclass, v_display
            USING ERRCODE = 'datatype_mismatch',
                  HINT = 'The stream table''s query changed since the snapshot was taken.';
    END IF;
    PERFORM pgtrickle._replace_contents(v_storage, v_columns.names,
        format('SELECT * FROM %s', v_snapshot.snapshot_relid::regclass), v_st.publication_key);
    PERFORM pgtrickle._mark_restored(v_st.pgt_id, format(
        'restored from snapshot %s (taken %s): suspended until resumed with alter_stream_table(status => ''ACTIVE''), which recomputes it',
        v_snapshot.snapshot_relid::regclass, v_snapshot.created_at), coalesce(v_snapshot.data_timestamp, v_snapshot.created_at));
END
$$;
