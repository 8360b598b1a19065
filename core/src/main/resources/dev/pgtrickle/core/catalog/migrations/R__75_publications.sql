-- Published stream tables (docs/architecture.md, "Published stream tables"): a stream table's
-- storage table added to a logical-replication publication so that subscribers (a PostgreSQL
-- subscription, Debezium, `pgtrickle subscribe`) receive its changes event by event.
--
-- For subscribers to apply UPDATE and DELETE, the storage table gets a replica identity on the
-- plan's output key (visible columns, NOT NULL and unique in every state of the sources), through
-- a unique index "__pgt_key_<relid>"; the publication's column list leaves the hidden __pgt_
-- columns out (it must contain the replica identity, hence a key among the visible columns).
-- A differential refresh updates a row whose key stays in place (strategies KEYED and AGGREGATE),
-- and a FULL refresh of a published table applies the difference on that key (_full_refresh).
--
-- Runs as the caller, who must own the storage table (ALTER TABLE, CREATE PUBLICATION ... FOR
-- TABLE) and may create publications in the database; the catalog rows are written by the
-- SECURITY DEFINER helper _record_publication, which checks the caller's storage lock.

CREATE OR REPLACE FUNCTION pgtrickle._record_publication(
    p_pgt_id bigint, p_publication name, p_key name[], p_created boolean) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._claimed(p_pgt_id);
    UPDATE pgtrickle.pgt_stream_tables SET publication = p_publication, publication_key = p_key
    WHERE pgt_id = p_pgt_id;
    IF p_created THEN
        INSERT INTO pgtrickle.pgt_created_publications VALUES (p_publication) ON CONFLICT DO NOTHING;
    END IF;
END
$$;

-- Drops the publications pgtrickle created that no table is in any more (their last stream table
-- was unpublished or dropped). A publication its dropper may not drop stays, with a warning.
CREATE OR REPLACE FUNCTION pgtrickle._drop_empty_publications() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_pub name;
BEGIN
    FOR v_pub IN
        SELECT c.pubname FROM pgtrickle.pgt_created_publications c
        JOIN pg_publication p ON p.pubname = c.pubname
        WHERE NOT p.puballtables AND NOT EXISTS (SELECT 1 FROM pg_publication_rel r WHERE r.prpubid = p.oid)
          AND NOT EXISTS (SELECT 1 FROM pg_publication_namespace s WHERE s.pnpubid = p.oid)
    LOOP
        BEGIN
            EXECUTE format('DROP PUBLICATION %I', v_pub);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE WARNING 'publication "%" has no stream table left but was not dropped: %', v_pub, SQLERRM;
        END;
    END LOOP;
    PERFORM pgtrickle._forget_dropped_publications();
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._forget_dropped_publications() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM pgtrickle.pgt_created_publications c
    WHERE NOT EXISTS (SELECT 1 FROM pg_publication p WHERE p.pubname = c.pubname);
END
$$;

DROP FUNCTION IF EXISTS pgtrickle._published_columns(regclass);  -- (now _visible_column_list)

-- The unique index a published stream table's replica identity is on.
CREATE OR REPLACE FUNCTION pgtrickle._drop_key_index(p_storage regclass, p_relid oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_index regclass;
BEGIN
    SELECT i.indexrelid::regclass INTO v_index FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = p_storage AND c.relname = '__pgt_key_' || p_relid;
    IF v_index IS NOT NULL THEN
        EXECUTE format('DROP INDEX %s', v_index);
    END IF;
END
$$;

-- Publishes a stream table: replica identity on its key, then the publication (created, or an
-- existing one the table is added to) with its visible columns. Idempotent for the same
-- publication. Returns the publication's name.
CREATE OR REPLACE FUNCTION pgtrickle.stream_table_to_publication(name text, publication text DEFAULT NULL)
RETURNS text LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    v_display text := pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name);
    v_pub name;
    v_storage regclass;
    v_key name[];
    v_index name;
    v_column name;
    v_existing pg_publication;
BEGIN
    IF publication IS NOT NULL AND (publication = '' OR length(publication) > 63) THEN
        RAISE EXCEPTION 'invalid publication name "%": it must have 1 to 63 characters', publication
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    v_pub := coalesce(publication, left('pgt_pub_' || v_st.pgt_name, 63));
    v_st := pgtrickle._locked(v_st.pgt_id);
    v_storage := pgtrickle._storage_of(v_st);
    IF v_st.publication IS NOT NULL THEN
        IF v_st.publication = v_pub THEN
            RETURN v_pub;
        END IF;
        RAISE EXCEPTION 'stream table % is already published in publication "%"', v_display, v_st.publication
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Unpublish it first with pgtrickle.drop_stream_table_publication().';
    END IF;
    IF v_st.plan IS NULL THEN
        RAISE EXCEPTION 'stream table % cannot be published yet: publishing needs the key of its rows, which the differential compiler finds, and it has no compiled plan (%)',
            v_display, CASE v_st.compile_status
                WHEN 'PENDING' THEN 'it is waiting for the compiler'
                WHEN 'NOT_NEEDED' THEN 'it is refreshed FULL: ' || coalesce(v_st.mode_reason, 'refresh_mode FULL')
                ELSE 'not differentiable: ' || coalesce(v_st.compile_error, v_st.mode_reason, 'unknown reason') END
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = CASE v_st.compile_status
                      WHEN 'PENDING' THEN 'Retry once the daemon (or pgtrickle compile) has compiled it: pgt_status() shows it refreshed DIFFERENTIAL.'
                      ELSE 'Use refresh_mode AUTO or DIFFERENTIAL with a query the compiler supports.' END;
    END IF;
    IF NOT v_st.plan ? 'output_key' THEN
        RAISE EXCEPTION 'stream table % cannot be published yet: its plan was compiled by an older pgtrickle, which did not record the key of its rows',
            v_display
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Compile it again (pgtrickle compile ' || v_display || '), then publish it.';
    END IF;
    v_key := ARRAY(SELECT jsonb_array_elements_text(v_st.plan -> 'output_key'))::name[];
    IF cardinality(v_key) = 0 THEN
        RAISE EXCEPTION 'stream table % cannot be published: no set of its columns is known to be NOT NULL and unique in every row, which subscribers need to apply updates and deletes',
            v_display
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Select the primary key columns of the source table(s) (or all GROUP BY columns, from NOT NULL source columns) in its query.';
    END IF;
    SELECT * INTO v_existing FROM pg_publication p WHERE p.pubname = v_pub;
    IF FOUND AND v_existing.puballtables THEN
        RAISE EXCEPTION 'publication "%" is FOR ALL TABLES: it would publish the hidden columns of stream table %', v_pub, v_display
            USING ERRCODE = 'object_not_in_prerequisite_state', HINT = 'Name another publication.';
    END IF;

    -- Replica identity: a plain unique index on the key, whose columns must be NOT NULL.
    v_index := '__pgt_key_' || v_st.pgt_relid;
    FOREACH v_column IN ARRAY v_key LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I SET NOT NULL', v_storage, v_column);
    END LOOP;
    EXECUTE format('CREATE UNIQUE INDEX IF NOT EXISTS %I ON %s (%s)', v_index, v_storage,
                   (SELECT string_agg(quote_ident(c), ', ') FROM unnest(v_key) AS c));
    EXECUTE format('ALTER TABLE %s REPLICA IDENTITY USING INDEX %I', v_storage, v_index);

    IF v_existing.oid IS NULL THEN
        EXECUTE format('CREATE PUBLICATION %I FOR TABLE %s (%s)', v_pub, v_storage, pgtrickle._visible_column_list(v_storage));
    ELSE
        EXECUTE format('ALTER PUBLICATION %I ADD TABLE %s (%s)', v_pub, v_storage, pgtrickle._visible_column_list(v_storage));
    END IF;
    PERFORM pgtrickle._record_publication(v_st.pgt_id, v_pub, v_key, v_existing.oid IS NULL);
    RETURN v_pub;
END
$$;

-- Unpublishes a stream table: out of its publication (dropped if pgtrickle created it and it is
-- empty now), replica identity back to the default, key index and NOT NULL markings removed.
CREATE OR REPLACE FUNCTION pgtrickle.drop_stream_table_publication(name text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    v_storage regclass;
    v_column name;
BEGIN
    v_st := pgtrickle._locked(v_st.pgt_id);
    v_storage := pgtrickle._storage_of(v_st);
    IF v_st.publication IS NULL THEN
        RAISE EXCEPTION 'stream table % is not published', pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name)
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_publication_rel r JOIN pg_publication p ON p.oid = r.prpubid
               WHERE p.pubname = v_st.publication AND r.prrelid = v_storage) THEN
        EXECUTE format('ALTER PUBLICATION %I DROP TABLE %s', v_st.publication, v_storage);
    END IF;
    EXECUTE format('ALTER TABLE %s REPLICA IDENTITY DEFAULT', v_storage);
    PERFORM pgtrickle._drop_key_index(v_storage, v_st.pgt_relid);
    FOREACH v_column IN ARRAY v_st.publication_key LOOP
        EXECUTE format('ALTER TABLE %s ALTER COLUMN %I DROP NOT NULL', v_storage, v_column);
    END LOOP;
    PERFORM pgtrickle._record_publication(v_st.pgt_id, NULL, NULL, false);
    PERFORM pgtrickle._drop_empty_publications();
END
$$;
