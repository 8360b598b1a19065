-- Operations: definitions for backup, a one-row-per-table overview, and what the refresh history
-- says about each stream table's refresh mode (docs/sql-reference.md, "Operations").

-- The SQL that recreates a stream table as it is defined now: create_stream_table with its
-- query as written, schedule, mode, append_only and capture mode, then alter_stream_table for a
-- tier other than hot, for diamond_consistency and for a suspension. Every value is a quoted literal.
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
    IF v_st.diamond_consistency <> 'none' THEN
        v_sql := v_sql || format(E'\nSELECT pgtrickle.alter_stream_table(%L, diamond_consistency => %L);', v_name,
                                 v_st.diamond_consistency);
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

-- ---------------------------------------------------------------------------------------------
-- The daemon's workers, recent jobs, draining, freshness (docs/sql-reference.md, "Operations").
-- ---------------------------------------------------------------------------------------------

-- The daemon's refresh workers as PostgreSQL sees them: each worker's connection is named
-- "pgtrickle worker <n>/<pool size>", and while it refreshes, within the refresh's transaction,
-- "pgtrickle worker <n>/<size>: refreshing <pgt_id> since <epoch ms>" (set transaction-locally,
-- so it reverts when the transaction ends). Workers connect at their first refresh.
CREATE OR REPLACE FUNCTION pgtrickle.worker_pool_status()
RETURNS TABLE (worker integer, pool_size integer, state text, stream_table text, refreshing_since timestamptz,
               pid integer)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT m[1]::integer, m[2]::integer,
           CASE WHEN m[3] IS NULL THEN 'idle' ELSE 'refreshing' END,
           CASE WHEN m[3] IS NOT NULL THEN (SELECT pgtrickle._display_name(st.pgt_schema, st.pgt_name)
                                            FROM pgtrickle.pgt_stream_tables st WHERE st.pgt_id = m[3]::bigint) END,
           to_timestamp(m[4]::numeric / 1000),
           a.pid
    FROM pg_stat_activity a
    CROSS JOIN LATERAL regexp_match(a.application_name,
        '^pgtrickle worker ([0-9]+)/([0-9]+)(?:: refreshing ([0-9]+) since ([0-9]+))?$') AS m
    WHERE a.datname = current_database() AND m IS NOT NULL
    ORDER BY 1
$$;

-- Refreshes of the last p_seconds seconds, newest first, with those running now (from the
-- workers; no job id yet).
CREATE OR REPLACE FUNCTION pgtrickle.parallel_job_status(p_seconds integer DEFAULT 60)
RETURNS TABLE (job_id bigint, stream_table text, action text, status text, started_at timestamptz,
               finished_at timestamptz, duration interval, initiated_by text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_seconds IS NULL OR p_seconds < 1 THEN
        RAISE EXCEPTION 'parallel_job_status needs a positive number of seconds, not %', p_seconds
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN QUERY
    SELECT NULL::bigint, w.stream_table, NULL::text, 'RUNNING'::text, w.refreshing_since, NULL::timestamptz,
           clock_timestamp() - w.refreshing_since, 'SCHEDULER'::text
    FROM pgtrickle.worker_pool_status() w WHERE w.state = 'refreshing'
    UNION ALL
    (SELECT h.refresh_id, pgtrickle._display_name(st.pgt_schema, st.pgt_name), h.action, h.status,
            h.start_time, h.end_time, h.end_time - h.start_time, h.initiated_by
     FROM pgtrickle.pgt_refresh_history h JOIN pgtrickle.pgt_stream_tables st USING (pgt_id)
     WHERE h.end_time >= clock_timestamp() - make_interval(secs => p_seconds)
     ORDER BY h.refresh_id DESC);
END
$$;

-- drain(): the daemon finishes the refreshes it runs and starts no other (scheduled, urgent or
-- compiles) until undrain(); is_drained() says when none runs any more. For upgrades and
-- maintenance; a manual refresh_stream_table still runs. Needs the catalog owner's rights.
-- Drain requests are written to pgt_instance, which only the catalog owner (and its members) may.
CREATE OR REPLACE FUNCTION pgtrickle._require_drain_rights(p_what text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT has_table_privilege('pgtrickle.pgt_instance', 'UPDATE') THEN
        RAISE EXCEPTION 'permission denied: % the pgtrickle daemon needs the rights of the catalog owner %', p_what,
            (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'pgtrickle.pgt_instance'::regclass)
            USING ERRCODE = 'insufficient_privilege';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle.drain() RETURNS timestamptz
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_requested timestamptz;
BEGIN
    PERFORM pgtrickle._require_drain_rights('draining');
    UPDATE pgtrickle.pgt_instance SET drain_requested_at = coalesce(drain_requested_at, clock_timestamp())
    RETURNING drain_requested_at INTO v_requested;
    PERFORM pg_notify('pgtrickle_catalog', 'drain');
    RETURN v_requested;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle.undrain() RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pgtrickle._require_drain_rights('resuming');
    UPDATE pgtrickle.pgt_instance SET drain_requested_at = NULL, drain_acknowledged_at = NULL;
    PERFORM pg_notify('pgtrickle_catalog', 'undrain');
END
$$;

-- Drained: asked for, and the leading daemon said since then that it runs no refresh (or no
-- daemon leads).
CREATE OR REPLACE FUNCTION pgtrickle.is_drained() RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN coalesce((SELECT i.drain_requested_at IS NOT NULL
                            AND (i.drain_acknowledged_at >= i.drain_requested_at OR NOT pgtrickle.daemon_connected())
                     FROM pgtrickle.pgt_instance i), false);
END
$$;

-- Called by the leading daemon (it holds the leader lock) between passes, when a drain is asked
-- for: no refresh of its runs at that moment.
CREATE OR REPLACE FUNCTION pgtrickle._acknowledge_drain() RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF pgtrickle._leader_pid() IS DISTINCT FROM pg_backend_pid() THEN
        RAISE EXCEPTION 'only the leading pgtrickle daemon acknowledges a drain' USING ERRCODE = 'insufficient_privilege';
    END IF;
    UPDATE pgtrickle.pgt_instance SET drain_acknowledged_at = clock_timestamp() WHERE drain_requested_at IS NOT NULL;
END
$$;

-- Freshness per stream table over the last p_window: how old its contents were each time a
-- refresh replaced them (the time since the refresh before), as p50, p99 and maximum, how old
-- they are now, and for a duration schedule the share of refreshes that came within it.
CREATE OR REPLACE FUNCTION pgtrickle.sla_summary(p_window interval DEFAULT '1 day')
RETURNS TABLE (stream_table text, schedule text, refreshes bigint, freshness_p50 interval,
               freshness_p99 interval, freshness_max interval, staleness interval, within_schedule numeric)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pgtrickle._current_name(st.pgt_relid, st.pgt_schema, st.pgt_name),
           coalesce(st.schedule, 'calculated'),
           count(g.age),
           percentile_cont(0.5) WITHIN GROUP (ORDER BY g.age),
           percentile_cont(0.99) WITHIN GROUP (ORDER BY g.age),
           max(g.age),
           clock_timestamp() - st.data_timestamp,
           round(avg(CASE WHEN g.age IS NULL OR pgtrickle._schedule_seconds(st.schedule) IS NULL THEN NULL
                          WHEN extract(epoch FROM g.age) <= pgtrickle._schedule_seconds(st.schedule) THEN 1.0
                          ELSE 0.0 END), 4)
    FROM pgtrickle.pgt_stream_tables st
    LEFT JOIN LATERAL (
        SELECT h.end_time - lag(h.end_time) OVER (ORDER BY h.refresh_id) AS age, h.end_time
        FROM pgtrickle.pgt_refresh_history h
        WHERE h.pgt_id = st.pgt_id AND h.status = 'COMPLETED'
          AND h.end_time >= clock_timestamp() - p_window - coalesce(make_interval(secs => pgtrickle._schedule_seconds(st.schedule)), '0')
    ) AS g ON g.end_time >= clock_timestamp() - p_window
    GROUP BY st.pgt_id, st.pgt_relid, st.pgt_schema, st.pgt_name, st.schedule, st.data_timestamp
    ORDER BY 1
$$;

-- Which source columns each output column is computed from (the compiled plan's lineage,
-- through subqueries, views, joins and aggregates down to the tables and stream tables read).
-- Without a plan (refreshed FULL, or not compiled yet): the columns the definition reads, from its
-- definition view's dependencies, with output_column NULL.
CREATE OR REPLACE FUNCTION pgtrickle.stream_table_lineage(name text)
RETURNS TABLE (output_column text, source_table text, source_column text)
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables := pgtrickle._find_stream_table(name);
BEGIN
    IF v_st.plan ? 'lineage' THEN
        RETURN QUERY
        SELECT l.item ->> 'column', pgtrickle._display_name(s.item ->> 'schema', s.item ->> 'table'), s.item ->> 'column'
        FROM jsonb_array_elements(v_st.plan -> 'lineage') WITH ORDINALITY AS l(item, n)
        LEFT JOIN LATERAL jsonb_array_elements(l.item -> 'sources') AS s(item) ON true
        ORDER BY l.n, 2, 3;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT DISTINCT NULL::text, pgtrickle._display_name(n.nspname, c.relname), a.attname::text
    FROM pg_rewrite r
    JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
                    AND d.refclassid = 'pg_class'::regclass AND d.refobjsubid > 0
    JOIN pg_class c ON c.oid = d.refobjid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
    WHERE r.ev_class = to_regclass(format('pgtrickle.%I', v_st.definition_view)) AND d.refobjid <> r.ev_class
    ORDER BY 2, 3;
END
$$;

-- How long refresh history is kept: setting pgtrickle.history_retention, a positive interval;
-- unset or empty: 7 days.
CREATE OR REPLACE FUNCTION pgtrickle._history_retention() RETURNS interval
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_setting text := btrim(current_setting('pgtrickle.history_retention', true));
    v_retention interval;
BEGIN
    IF v_setting IS NULL OR v_setting = '' THEN
        RETURN interval '7 days';
    END IF;
    BEGIN
        v_retention := v_setting::interval;
    EXCEPTION WHEN invalid_datetime_format OR datetime_field_overflow OR interval_field_overflow THEN
        v_retention := NULL;
    END;
    IF v_retention IS NULL OR v_retention <= interval '0' THEN
        RAISE EXCEPTION 'invalid value for setting pgtrickle.history_retention: "%"', v_setting
            USING ERRCODE = 'invalid_parameter_value',
                  HINT = 'Expected a positive interval such as ''7 days'' (the default) or ''12 hours''.';
    END IF;
    RETURN v_retention;
END
$$;

-- Deletes refresh history that ended longer ago than pgtrickle.history_retention, except each
-- stream table's 20 latest rows (AUTO's history rule and pgt_status read them), at most p_limit
-- rows per call, so that a backlog goes in short transactions. Returns the rows deleted. The
-- daemon calls it about once a minute; without a daemon, call it from a job. Needs the rights of
-- the catalog owner.
CREATE OR REPLACE FUNCTION pgtrickle.prune_history(p_limit integer DEFAULT 10000) RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_cutoff timestamptz := now() - pgtrickle._history_retention();
    v_deleted bigint;
BEGIN
    IF p_limit IS NULL OR p_limit < 1 THEN
        RAISE EXCEPTION 'p_limit must be a positive number of rows, not %', coalesce(p_limit::text, 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT has_table_privilege('pgtrickle.pgt_refresh_history', 'DELETE') THEN
        RAISE EXCEPTION 'permission denied: pruning the refresh history needs the rights of the catalog owner %',
            (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'pgtrickle.pgt_refresh_history'::regclass)
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    DELETE FROM pgtrickle.pgt_refresh_history h
    WHERE h.refresh_id IN (SELECT p.refresh_id FROM pgtrickle._prunable_history(v_cutoff, p_limit) AS p(refresh_id));
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    RETURN v_deleted;
END
$$;

-- The oldest (at most p_limit) history rows that ended before p_cutoff and are not among their
-- stream table's 20 latest.
CREATE OR REPLACE FUNCTION pgtrickle._prunable_history(p_cutoff timestamptz, p_limit integer) RETURNS SETOF bigint
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH latest AS (
        SELECT st.pgt_id,
               (SELECT h.refresh_id FROM pgtrickle.pgt_refresh_history h WHERE h.pgt_id = st.pgt_id
                ORDER BY h.refresh_id DESC OFFSET 19 LIMIT 1) AS oldest_kept
        FROM pgtrickle.pgt_stream_tables st
    )
    SELECT h.refresh_id FROM pgtrickle.pgt_refresh_history h JOIN latest l USING (pgt_id)
    WHERE h.end_time < p_cutoff AND h.refresh_id < l.oldest_kept
    ORDER BY h.end_time
    LIMIT p_limit
$$;
