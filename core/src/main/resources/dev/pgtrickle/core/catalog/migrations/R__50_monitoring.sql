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
