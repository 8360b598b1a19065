-- Operations: definitions for backup, a one-row-per-table overview, and what the refresh history
-- says about each stream table's refresh mode (docs/sql-reference.md, "Operations").

-- The SQL that recreates a stream table as it is defined now: create_stream_table with its
-- query as written, schedule, mode, append_only and capture mode, then alter_stream_table for a
-- tier other than hot and for a suspension. Every value is a quoted literal.
CREATE OR REPLACE FUNCTION pgtrickle.export_definition(name text) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
    -- Its current name, quoted where needed (as events name it).
    v_name text := pgtrickle._event_name(v_st.pgt_relid, v_st.pgt_schema, v_st.pgt_name);
    v_sql text;
BEGIN
    v_sql := format('SELECT pgtrickle.create_stream_table(name => %L, query => %L, schedule => %L,'
                    ' refresh_mode => %L, append_only => %s, cdc_mode => %L);',
                    v_name, v_st.defining_query, coalesce(v_st.schedule, 'calculated'), v_st.refresh_mode,
                    CASE WHEN v_st.append_only THEN 'true' ELSE 'false' END, v_st.cdc_mode);
    IF v_st.tier <> 'hot' THEN
        v_sql := v_sql || format(E'\nSELECT pgtrickle.alter_stream_table(%L, tier => %L);', v_name, v_st.tier);
    END IF;
    IF v_st.status = 'SUSPENDED' THEN
        v_sql := v_sql || format(E'\nSELECT pgtrickle.alter_stream_table(%L, status => %L);', v_name, 'SUSPENDED');
    END IF;
    RETURN v_sql;
END
$$;

-- One row per stream table: how it is defined and how it is doing, with the last error. A view
-- over a PL/pgSQL function: repeatable migrations also run against the first catalog version
-- (upgrades replay them), which lacks columns added since, and only SQL bodies are checked then.
CREATE OR REPLACE FUNCTION pgtrickle._stream_tables_info()
RETURNS TABLE (pgt_schema text, pgt_name text, status text, refresh_mode text, effective_mode text,
               mode_reason text, schedule text, tier text, append_only boolean, cdc_mode text,
               compile_status text, is_populated boolean, data_timestamp timestamptz, staleness interval,
               consecutive_errors integer, last_error_message text, defining_query text,
               created_at timestamptz, altered_at timestamptz)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY
    SELECT coalesce(n.nspname, st.pgt_schema)::text, coalesce(c.relname, st.pgt_name)::text,
           CASE WHEN c.oid IS NULL THEN 'ERROR' ELSE st.status END,
           st.refresh_mode, st.effective_mode, st.mode_reason,
           coalesce(st.schedule, 'calculated'), st.tier, st.append_only, st.cdc_mode,
           st.compile_status, st.is_populated, st.data_timestamp,
           clock_timestamp() - st.data_timestamp,
           st.consecutive_errors,
           CASE WHEN c.oid IS NULL THEN 'storage table was dropped' ELSE st.last_error END,
           st.defining_query, st.created_at, st.altered_at
    FROM pgtrickle.pgt_stream_tables st
    LEFT JOIN pg_class c ON c.oid = st.pgt_relid
    LEFT JOIN pg_namespace n ON n.oid = c.relnamespace
    ORDER BY 1, 2;
END
$$;

CREATE OR REPLACE VIEW pgtrickle.stream_tables_info AS SELECT * FROM pgtrickle._stream_tables_info();

GRANT SELECT ON pgtrickle.stream_tables_info TO PUBLIC;

-- Per stream table, what its refresh history holds (completed refreshes unless said otherwise):
-- counts by action, average durations of FULL and DIFFERENTIAL refreshes, the share of the
-- sources' rows an average refresh consumed, and how many FULL refreshes were not first fills.
-- FULL averages leave out the first fills (CREATE, COMPILE: into an empty table) when there are
-- others, as the AUTO cost model does.
DROP FUNCTION IF EXISTS pgtrickle._refresh_figures(bigint);  -- (its OUT columns grew)
CREATE OR REPLACE FUNCTION pgtrickle._refresh_figures(
    p_pgt_id bigint, OUT total_refreshes bigint, OUT full_refreshes bigint, OUT differential_refreshes bigint,
    OUT no_data_refreshes bigint, OUT failed_refreshes bigint, OUT avg_full_ms numeric,
    OUT avg_differential_ms numeric, OUT avg_change_ratio numeric, OUT regular_full_refreshes bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH h AS (
        SELECT h.action, h.status, h.initiated_by, h.changes_consumed,
               (extract(epoch FROM h.end_time - h.start_time) * 1000)::numeric AS ms,
               h.action IN ('FULL', 'REINITIALIZE') AS is_full
        FROM pgtrickle.pgt_refresh_history h WHERE h.pgt_id = p_pgt_id
    ),
    regular AS (
        SELECT bool_or(is_full AND status = 'COMPLETED' AND initiated_by NOT IN ('CREATE', 'COMPILE')) AS any FROM h
    ),
    source_rows AS (
        SELECT sum(c.reltuples) FILTER (WHERE c.reltuples > 0) AS n
        FROM pgtrickle.pgt_dependencies d JOIN pg_class c ON c.oid = d.source_relid
        WHERE d.pgt_id = p_pgt_id
    )
    SELECT count(*),
           count(*) FILTER (WHERE h.status = 'COMPLETED' AND h.is_full),
           count(*) FILTER (WHERE h.status = 'COMPLETED' AND h.action = 'DIFFERENTIAL'),
           count(*) FILTER (WHERE h.status = 'COMPLETED' AND h.action = 'NO_DATA'),
           count(*) FILTER (WHERE h.status = 'FAILED'),
           round(avg(h.ms) FILTER (WHERE h.status = 'COMPLETED' AND h.is_full
                                     AND (NOT r.any OR h.initiated_by NOT IN ('CREATE', 'COMPILE'))), 3),
           round(avg(h.ms) FILTER (WHERE h.status = 'COMPLETED' AND h.action = 'DIFFERENTIAL'), 3),
           round(avg(h.changes_consumed / s.n) FILTER (WHERE h.status = 'COMPLETED' AND h.action IN ('FULL', 'DIFFERENTIAL')
                                                        AND h.changes_consumed IS NOT NULL
                                                        AND h.initiated_by NOT IN ('CREATE', 'COMPILE'))::numeric, 6),
           count(*) FILTER (WHERE h.status = 'COMPLETED' AND h.is_full AND h.initiated_by NOT IN ('CREATE', 'COMPILE'))
    FROM h, regular r, source_rows s
    GROUP BY r.any
    UNION ALL
    SELECT 0, 0, 0, 0, 0, NULL, NULL, NULL, 0 WHERE NOT EXISTS (SELECT 1 FROM h)
$$;

CREATE OR REPLACE FUNCTION pgtrickle.refresh_efficiency()
RETURNS TABLE (pgt_name text, refresh_mode text, effective_mode text, total_refreshes bigint,
               full_refreshes bigint, differential_refreshes bigint, no_data_refreshes bigint,
               failed_refreshes bigint, avg_full_ms numeric, avg_differential_ms numeric,
               diff_speedup numeric, avg_change_ratio numeric)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name), st.refresh_mode, st.effective_mode,
           f.total_refreshes, f.full_refreshes, f.differential_refreshes, f.no_data_refreshes,
           f.failed_refreshes, f.avg_full_ms, f.avg_differential_ms,
           round(f.avg_full_ms / nullif(f.avg_differential_ms, 0), 2), f.avg_change_ratio
    FROM pgtrickle.pgt_stream_tables st, pgtrickle._refresh_figures(st.pgt_id) f
    ORDER BY 1
$$;

-- Per stream table, the refresh mode its history argues for, 'KEEP' when it argues for none,
-- with how sure that is and why. A DIFFERENTIAL stream table whose query the compiler refused
-- gets AUTO. Otherwise measured differential and FULL refreshes decide first; without both,
-- the share of the sources' rows a refresh consumes (below 5 %: AUTO for a FULL stream table,
-- above 50 %: FULL for a DIFFERENTIAL one); with fewer than three refreshes recorded nothing
-- is recommended.
CREATE OR REPLACE FUNCTION pgtrickle.recommend_refresh_mode()
RETURNS TABLE (pgt_name text, current_mode text, effective_mode text, recommended_mode text,
               confidence text, reason text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
    f record;
    v_measured bigint;
BEGIN
    FOR v_st IN SELECT st.* FROM pgtrickle.pgt_stream_tables st ORDER BY st.pgt_schema, st.pgt_name LOOP
        pgt_name := pgtrickle._current_name(v_st.pgt_relid, v_st.pgt_schema, v_st.pgt_name);
        current_mode := v_st.refresh_mode;
        effective_mode := v_st.effective_mode;
        SELECT * INTO f FROM pgtrickle._refresh_figures(v_st.pgt_id);
        v_measured := f.full_refreshes + f.differential_refreshes;
        recommended_mode := 'KEEP';
        IF v_st.refresh_mode = 'DIFFERENTIAL' AND v_st.compile_status = 'UNSUPPORTED' THEN
            recommended_mode := 'AUTO';
            confidence := 'high';
            reason := format('the query cannot be maintained differentially (%s); AUTO refreshes it FULL',
                             v_st.compile_error);
        ELSIF v_measured < 3 THEN
            confidence := 'low';
            reason := format('%s refreshes recorded; at least 3 are needed', v_measured);
        ELSIF f.differential_refreshes >= 2 AND f.avg_full_ms IS NOT NULL THEN
            reason := format('differential refreshes took %s ms on average, FULL ones %s ms',
                             trim_scale(round(f.avg_differential_ms, 1)), trim_scale(round(f.avg_full_ms, 1)));
            IF f.regular_full_refreshes = 0 THEN
                -- The first fill writes into an empty table: no measure of a FULL refresh.
                confidence := 'low';
                reason := reason || ' (FULL measured at the first fill only)';
            ELSE
                confidence := CASE WHEN f.differential_refreshes >= 5 THEN 'high' ELSE 'medium' END;
                IF f.avg_differential_ms > f.avg_full_ms AND v_st.refresh_mode = 'DIFFERENTIAL' THEN
                    recommended_mode := 'FULL';
                END IF;
            END IF;
        ELSIF f.avg_change_ratio IS NULL THEN
            confidence := 'low';
            reason := 'the sources'' sizes are unknown until they are analyzed';
        ELSIF f.avg_change_ratio < 0.05 AND v_st.refresh_mode = 'FULL' THEN
            recommended_mode := 'AUTO';
            confidence := 'medium';
            reason := format('a refresh consumes %s of the sources'' rows on average; AUTO refreshes differentially'
                             ' where the query allows it, else FULL', pgtrickle._percent(f.avg_change_ratio));
        ELSIF f.avg_change_ratio > 0.5 AND v_st.refresh_mode = 'DIFFERENTIAL' THEN
            recommended_mode := 'FULL';
            confidence := 'medium';
            reason := format('a refresh consumes %s of the sources'' rows on average',
                             pgtrickle._percent(f.avg_change_ratio));
        ELSE
            confidence := 'medium';
            reason := format('a refresh consumes %s of the sources'' rows on average',
                             pgtrickle._percent(f.avg_change_ratio));
        END IF;
        RETURN NEXT;
    END LOOP;
END
$$;
