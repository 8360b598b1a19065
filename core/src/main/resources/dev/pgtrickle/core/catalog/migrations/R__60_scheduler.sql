-- Support for the daemon (pgtrickle serve): its cheap path when nothing changed.

-- Called by the daemon, as the stream table's owner, before a scheduled refresh. When no source
-- change is waiting beyond the frontier, the contents are current as of this statement: only
-- data_timestamp moves (no history row, the frontier stays) and the result is true. Otherwise
-- (or when a refresh is needed anyway) false, and the caller refreshes.
CREATE OR REPLACE FUNCTION pgtrickle._skip_if_unchanged(p_pgt_id bigint) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._locked(p_pgt_id);
    RETURN pgtrickle._mark_fresh_if_unchanged(p_pgt_id);
END
$$;

-- Catalog owner part of _skip_if_unchanged: the buffers are readable by the catalog owner only,
-- and only a yes/no answer leaves this function.
CREATE OR REPLACE FUNCTION pgtrickle._mark_fresh_if_unchanged(p_pgt_id bigint) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._claimed(p_pgt_id);
    v_buffer name;
    v_pending boolean;
BEGIN
    IF v_st.frontier IS NULL OR NOT v_st.is_populated THEN
        RETURN false;
    END IF;
    -- A query calling now(), random() and the like changes without any source change. Only
    -- tables refreshed FULL can call them (see _mode_decision).
    IF v_st.effective_mode <> 'DIFFERENTIAL' AND cardinality(pgtrickle._volatile_functions(
            to_regclass(format('pgtrickle.%I', v_st.definition_view)))) > 0 THEN
        RETURN false;
    END IF;
    FOR v_buffer IN
        SELECT cs.buffer_table FROM pgtrickle.pgt_dependencies d
        JOIN pgtrickle.pgt_change_sources cs USING (source_relid)
        WHERE d.pgt_id = p_pgt_id
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM pgtrickle_changes.%I '
                       'WHERE NOT pgtrickle._covered(__pgt_xid, __pgt_seq, $1, $2, $3))', v_buffer)
        INTO v_pending USING v_st.frontier, v_st.frontier_own_xid, v_st.frontier_own_seq;
        IF v_pending THEN
            RETURN false;
        END IF;
    END LOOP;
    -- Each statement of this (volatile) function saw every commit before the calling statement
    -- began, so the contents are current at least as of that moment.
    UPDATE pgtrickle.pgt_stream_tables SET data_timestamp = statement_timestamp() WHERE pgt_id = p_pgt_id;
    RETURN true;
END
$$;
