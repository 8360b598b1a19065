-- Monitoring.

-- One row per stream table. The first eight columns are the ones users know from the reference
-- system; effective_mode and mode_reason tell how refresh really runs and why.
CREATE OR REPLACE FUNCTION pgtrickle.pgt_status()
RETURNS TABLE (
    name text, status text, refresh_mode text, schedule text, data_timestamp timestamptz,
    staleness interval, consecutive_errors integer, last_error text,
    effective_mode text, mode_reason text, tier text, is_populated boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(n.nspname || '.' || c.relname, st.pgt_schema || '.' || st.pgt_name),
           CASE WHEN c.oid IS NULL THEN 'ERROR' ELSE st.status END,
           st.refresh_mode, st.schedule, st.data_timestamp,
           clock_timestamp() - st.data_timestamp,
           st.consecutive_errors,
           CASE WHEN c.oid IS NULL THEN 'storage table was dropped' ELSE st.last_error END,
           st.effective_mode, st.mode_reason, st.tier, st.is_populated
    FROM pgtrickle.pgt_stream_tables st
    LEFT JOIN pg_class c ON c.oid = st.pgt_relid
    LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
    ORDER BY 1
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
    RETURN NEXT format('refresh mode: %s, refreshed %s%s', v_st.refresh_mode, v_st.effective_mode,
                       coalesce(' (' || v_st.mode_reason || ')', ''));
    RETURN NEXT format('compile status: %s', v_st.compile_status);
    RETURN NEXT 'defining query:';
    RETURN NEXT '  ' || replace(v_st.normalized_query, E'\n', E'\n  ');
    IF v_st.plan IS NULL THEN
        RETURN;
    END IF;
    RETURN NEXT format('strategy: %s', v_st.plan ->> 'strategy');
    RETURN NEXT 'operators:';
    FOR v_line IN SELECT * FROM jsonb_array_elements(v_st.plan -> 'operators') LOOP
        RETURN NEXT repeat('  ', (v_line ->> 'depth')::int + 1) || (v_line ->> 'operator');
        RETURN NEXT repeat('  ', (v_line ->> 'depth')::int + 2) || '-> ' || (v_line ->> 'strategy');
    END LOOP;
    RETURN NEXT format('hidden columns: %s',
        (SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(v_st.plan -> 'hidden_columns') AS c));
    RETURN NEXT format('row identity: %s',
        (SELECT string_agg(c, ', ') FROM jsonb_array_elements_text(v_st.plan -> 'identity_columns') AS c));
    RETURN NEXT 'populate SQL:';
    RETURN NEXT '  ' || (v_st.plan ->> 'populate');
    RETURN NEXT 'refresh SQL ($1 = previous frontier):';
    RETURN NEXT '  ' || replace(v_st.plan ->> 'refresh', E'\n', E'\n  ');
END
$$;
