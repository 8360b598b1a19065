-- IMMEDIATE mode (docs/architecture.md, "IMMEDIATE mode"): a stream table maintained inside every
-- statement that changes its source, by statement-level AFTER triggers with transition tables,
-- without change buffers or the daemon.
--
-- The triggers call a function generated for the stream table, owned by its owner (SECURITY
-- DEFINER, pinned search_path: writers of the source need no rights on the stream table), in the
-- stream table's schema: pgt_immediate_<pgt_id>. Once the compiler has produced the plan's
-- IMMEDIATE statements, it applies each statement's changes with them: it takes the locks of the
-- storage rows the changes touch, in order, then runs the MERGE, whose fresh snapshot (READ
-- COMMITTED) sees what the writers that held those locks before committed; an aggregate whose state
-- adds up does both in one relative MERGE (see _immediate_new_group). Writers touching other
-- rows do not wait for each other. Until then, and for a TRUNCATE, it recomputes the contents
-- under a lock of the storage table that keeps the others' MERGEs out.

DROP FUNCTION IF EXISTS pgtrickle._immediate_lock(bigint);

-- Raised from an IMMEDIATE MERGE for a row it read and no longer finds where it was (another
-- transaction changed it meanwhile); the locks taken before the MERGE rule that out, so this is
-- a guard against losing a change, never the normal path. Returns its argument's type.
CREATE OR REPLACE FUNCTION pgtrickle._immediate_conflict(p_row anyelement) RETURNS anyelement
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RAISE EXCEPTION 'a stored row of a stream table maintained in IMMEDIATE mode changed while this statement applied its changes'
        USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
END
$$;

-- Called by a relative IMMEDIATE statement (RelativeMerge in the compiler) for a group its snapshot
-- does not hold, once it holds the group's advisory lock: whether to insert the group. Looked for
-- again with a fresh snapshot (at READ COMMITTED), since a writer this one waited for on the lock
-- may have created it: then its identity is added to the transaction's setting
-- pgtrickle.immediate_<id>_deferred, and the trigger applies the change to it in another pass of the
-- statement. A change that removes rows from a group that is not there is a guard, as in
-- _immediate_conflict. As the caller (the stream table's owner, in its trigger function).
CREATE OR REPLACE FUNCTION pgtrickle._immediate_new_group(p_pgt_id bigint, p_row_id bytea, p_count bigint)
RETURNS boolean LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_setting text := format('pgtrickle.immediate_%s_deferred', p_pgt_id);
    v_present boolean;
BEGIN
    IF p_count < 0 THEN
        PERFORM pgtrickle._immediate_conflict(p_row_id);
    ELSIF p_count = 0 THEN
        RETURN false;  -- rows that came and went: nothing to store
    END IF;
    EXECUTE format('SELECT EXISTS (SELECT FROM %s WHERE __pgt_row_id = $1)',
                   (SELECT pgtrickle._storage_of(st) FROM pgtrickle.pgt_stream_tables st WHERE st.pgt_id = p_pgt_id))
    INTO v_present USING p_row_id;
    IF v_present THEN
        PERFORM set_config(v_setting, array_append(coalesce(nullif(current_setting(v_setting, true), ''), '{}')::bytea[],
                                                   p_row_id)::text, true);
    END IF;
    RETURN NOT v_present;
END
$$;

-- The name of the function maintaining an IMMEDIATE stream table.
CREATE OR REPLACE FUNCTION pgtrickle._immediate_function(p_pgt_id bigint) RETURNS name
LANGUAGE sql IMMUTABLE AS $$
    SELECT ('pgt_immediate_' || p_pgt_id)::name
$$;

-- That function, qualified: where it was created (in the stream table's schema of then), or
-- where it is to be created (the stream table's schema of now).
CREATE OR REPLACE FUNCTION pgtrickle._immediate_function_name(p_st pgtrickle.pgt_stream_tables) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(
        (SELECT format('%I.%I', n.nspname, p.proname) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
         WHERE p.proname = pgtrickle._immediate_function(p_st.pgt_id) AND p.prorettype = 'trigger'::regtype
           AND p.pronargs = 0
         ORDER BY p.oid LIMIT 1),
        format('%I.%I', p_st.pgt_schema, pgtrickle._immediate_function(p_st.pgt_id)))
$$;

-- Why a query cannot be maintained in IMMEDIATE mode, from what create_stream_table knows
-- before compiling (its sources), or NULL. A stream table is a source like a table: its refreshes
-- and IMMEDIATE maintenance change its storage with statements, whose triggers maintain the
-- stream tables reading it in IMMEDIATE mode (cascading inside the same statement).
DROP FUNCTION IF EXISTS pgtrickle._immediate_refusal(oid[], text[]);
CREATE OR REPLACE FUNCTION pgtrickle._immediate_refusal(p_sources oid[]) RETURNS text
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_class WHERE oid = ANY (p_sources) AND relkind NOT IN ('r', 'p')) THEN
        RETURN 'IMMEDIATE mode maintains queries over tables, and this one reads a relation that is not a table';
    END IF;
    RETURN NULL;
END
$$;

-- Takes stamps (ImmediateFootprint in the compiler) for the caller's transaction, in order: a
-- stamp another running transaction holds makes this one wait until it ends. Returns whether a
-- stamp was new to this transaction; the trigger then computes its stamps again, with a fresh
-- snapshot at READ COMMITTED, until none is. At REPEATABLE READ and SERIALIZABLE, a stamp another
-- transaction took after this one's snapshot is a serialization failure (ON CONFLICT DO UPDATE
-- of a row version the snapshot does not see): that writer's changes meet this one's.
CREATE OR REPLACE FUNCTION pgtrickle._immediate_stamp(p_pgt_id bigint, p_stamps bigint[]) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_taken bigint;
BEGIN
    -- A stamp this transaction holds already is left as it is (and not counted): no lookup of the
    -- held ones first, whose plan, cached while the table was small, scanned it as it grew.
    INSERT INTO pgtrickle.immediate_stamps AS h (pgt_id, stamp, holder)
    SELECT p_pgt_id, w.stamp, pg_current_xact_id()
    FROM (SELECT DISTINCT stamp FROM unnest(p_stamps) AS u(stamp)) AS w
    ORDER BY w.stamp
    ON CONFLICT (pgt_id, stamp) DO UPDATE SET holder = excluded.holder WHERE h.holder <> excluded.holder;
    GET DIAGNOSTICS v_taken = ROW_COUNT;
    RETURN v_taken > 0;
END
$$;

-- The epoch of an IMMEDIATE stream table: a row of pgtrickle.immediate_stamps (stamp -1, which no
-- hash bucket is) that every recomputation updates before it locks the storage table. A
-- recomputation takes no stamps, so a REPEATABLE READ or SERIALIZABLE writer whose plan takes
-- stamps (its delta reads rows other writers change) could not tell that one committed after its
-- snapshot: such a writer locks the epoch row FOR SHARE, which fails with 40001 once it was
-- updated after the snapshot, and which a recomputation waits for. The row is created with the
-- triggers (_install_immediate), so that it is there, visible, before any writer's snapshot.
-- (PL/pgSQL, like every function here naming the table: an upgrade runs this script before the
-- versioned migration creating the table.)
CREATE OR REPLACE FUNCTION pgtrickle._immediate_epoch_advance(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO pgtrickle.immediate_stamps AS h (pgt_id, stamp, holder) VALUES (p_pgt_id, -1, pg_current_xact_id())
    ON CONFLICT (pgt_id, stamp) DO UPDATE SET holder = excluded.holder;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._immediate_epoch_check(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM FROM pgtrickle.immediate_stamps WHERE pgt_id = p_pgt_id AND stamp = -1 FOR SHARE;
END
$$;

-- The first rows (TopK; docs/architecture.md, "First rows"). A writer
-- whose changes sort after the last stored row changes nothing and goes on; one whose changes reach
-- the first rows recomputes them from the rows it can see, so it must see every other writer's: it
-- takes the stream table's boundary lock (an advisory lock, this key space and the pgt_id)
-- exclusively, and the others hold it shared until they commit. The stamps -3 to -18 (one per
-- backend modulo 16, each updated by the writers below the boundary) and -2 (updated by the writers
-- reaching it) are their traces for REPEATABLE READ and SERIALIZABLE: a writer whose snapshot
-- predates another one's commit of the other kind gets 40001. A trace created after the snapshot
-- (the table is unlogged: a crash empties it) is a conflict too, since ON CONFLICT DO NOTHING fails
-- on a row the snapshot does not see. The sides of a query (docs/architecture.md, "Sides") use the
-- same lock and traces: the writers of the table that goes on side by side as writers below the
-- boundary, the other sources' writers as writers reaching it.
CREATE OR REPLACE FUNCTION pgtrickle._immediate_boundary_space() RETURNS integer
LANGUAGE sql IMMUTABLE AS $$ SELECT 1886548843 $$;

-- Whether a plan's writers share this read-write lock: those of the first rows (its IMMEDIATE
-- statements look at the boundary) and those of a query with sides (one table's writers go on
-- side by side, holding it shared as writers below the boundary do; the other sources' writers
-- take it exclusively as writers reaching the first rows do: docs/architecture.md, "Sides").
DROP FUNCTION IF EXISTS pgtrickle._immediate_has_boundary(jsonb);
CREATE OR REPLACE FUNCTION pgtrickle._immediate_read_write_lock(p_plan jsonb) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(p_plan -> 'immediate', '[]')) AS s
                   WHERE s ->> 'boundary' IS NOT NULL OR s ->> 'turn' IS NOT NULL)
$$;

-- (PL/pgSQL: an upgrade runs this script before the migration creating the table, see above.)
CREATE OR REPLACE FUNCTION pgtrickle._immediate_boundary_traces(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO pgtrickle.immediate_stamps (pgt_id, stamp, holder)
    SELECT p_pgt_id, -s, pg_current_xact_id() FROM generate_series(2, 18) AS s ORDER BY 2
    ON CONFLICT DO NOTHING;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._immediate_below_boundary(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_stripe bigint := -3 - pg_backend_pid() % 16;
BEGIN
    UPDATE pgtrickle.immediate_stamps SET holder = pg_current_xact_id()
    WHERE pgt_id = p_pgt_id AND stamp = v_stripe AND holder <> pg_current_xact_id();
    IF NOT FOUND THEN
        -- Held by this transaction already, or not there (a crash emptied the table).
        PERFORM pgtrickle._immediate_stamp(p_pgt_id, ARRAY[v_stripe]);
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        INSERT INTO pgtrickle.immediate_stamps (pgt_id, stamp, holder) VALUES (p_pgt_id, -2, pg_current_xact_id())
        ON CONFLICT DO NOTHING;
        PERFORM FROM pgtrickle.immediate_stamps WHERE pgt_id = p_pgt_id AND stamp = -2 FOR SHARE;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._immediate_reaching_boundary(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(pgtrickle._immediate_boundary_space(), p_pgt_id::integer);
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        PERFORM pgtrickle._immediate_boundary_traces(p_pgt_id);
        PERFORM FROM pgtrickle.immediate_stamps WHERE pgt_id = p_pgt_id AND stamp BETWEEN -18 AND -3 FOR SHARE;
    END IF;
    PERFORM pgtrickle._immediate_stamp(p_pgt_id, ARRAY[-2]::bigint[]);
END
$$;

-- Before a compile, a repair or a drop locks the storage table of an IMMEDIATE stream table
-- (_lock_storage in ACCESS EXCLUSIVE mode, _mark_unsupported): locks its source tables (SHARE ROW
-- EXCLUSIVE, which replacing their triggers takes anyway; skipped where the caller may create
-- triggers on them but not take this lock) and advances its epoch, in the order its writers take
-- them (their statement holds the source, their trigger then takes the epoch, then the storage),
-- so that they wait for such a writer instead of deadlocking with it. A compile or a repair
-- recomputes the contents, which the epoch is there to mark anyway.
CREATE OR REPLACE FUNCTION pgtrickle._immediate_epoch_first(p_st pgtrickle.pgt_stream_tables) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF p_st.refresh_mode = 'IMMEDIATE' THEN
        BEGIN
            PERFORM pgtrickle._lock_sources(p_st.pgt_id, 'SHARE ROW EXCLUSIVE');
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;
        END;
        PERFORM pgtrickle._immediate_epoch_advance(p_st.pgt_id);
    END IF;
END
$$;

-- Records that a statement recomputed an IMMEDIATE stream table instead of applying its changes
-- (a statement inside another one on its sources): a history row marked as a fallback, which
-- pgt_status(), health_check(), the CLI, /health and the metrics show as for a refresh that fell
-- back to FULL. In the writer's transaction (a rolled-back statement recomputed nothing); rows
-- appended, so concurrent writers do not wait for each other on it. As the catalog's owner (the
-- stream table's owner, whose trigger function calls it, has no rights on the history), for
-- IMMEDIATE stream tables only.
CREATE OR REPLACE FUNCTION pgtrickle._immediate_fallback(p_pgt_id bigint, p_reason text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO pgtrickle.pgt_refresh_history
        (pgt_id, start_time, end_time, action, status, initiated_by, reason, fallback, xid)
    SELECT st.pgt_id, statement_timestamp(), clock_timestamp(), 'FULL', 'COMPLETED', 'IMMEDIATE', p_reason, true,
           pg_current_xact_id()
    FROM pgtrickle.pgt_stream_tables st WHERE st.pgt_id = p_pgt_id AND st.refresh_mode = 'IMMEDIATE';
END
$$;

-- Recomputes the contents of an IMMEDIATE stream table inside the statement that fired its
-- trigger (a TRUNCATE, or any statement before the plan is compiled), as its owner. The lock
-- keeps every other writer's maintenance out (their MERGE needs ROW EXCLUSIVE) until this
-- transaction ends; the writers then apply their changes to what it computed. The catalog row is
-- read once the lock is held: a plan installed meanwhile (which locks the table too) is the one
-- whose columns the contents now need.
CREATE OR REPLACE FUNCTION pgtrickle._immediate_recompute(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
    v_storage regclass;
BEGIN
    SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id;
    -- The epoch before the storage: a writer holding it waits for the storage in that order too.
    PERFORM pgtrickle._immediate_epoch_advance(p_pgt_id);
    -- Where writers take turns on one stamp, this takes its turn too (after the epoch, which a
    -- REPEATABLE READ writer locks before the stamp): a writer that holds the stamp and has not
    -- yet applied its changes commits them first, and this recomputation then sees them.
    -- Writers below the boundary of the first rows, and the writers of a side, hold its lock
    -- shared: this waits for them to commit, as for a writer reaching the first rows.
    IF pgtrickle._immediate_read_write_lock(v_st.plan) THEN
        PERFORM pgtrickle._immediate_reaching_boundary(p_pgt_id);
    ELSIF v_st.plan ->> 'immediate_serialization' IS NOT NULL THEN
        PERFORM pgtrickle._immediate_stamp(p_pgt_id, ARRAY[-2]::bigint[]);
    END IF;
    EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', pgtrickle._storage_of(v_st));
    SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id;
    v_storage := pgtrickle._storage_of(v_st);
    -- A published one sends its subscribers the difference, as a FULL refresh does. The kept
    -- states the plan's statements read are refilled with the contents.
    PERFORM pgtrickle._replace_contents(v_storage, pgtrickle._contents_columns(v_st, v_storage),
                                        coalesce(v_st.plan ->> 'populate', v_st.normalized_query),
                                        v_st.publication_key, pgtrickle._kept_refill(v_st));
END
$$;

-- A TRUNCATE of a source recomputes the contents from the sources as the transaction's snapshot
-- shows them. At REPEATABLE READ or SERIALIZABLE that snapshot can predate another writer's
-- commit, whose stored rows no statement of this transaction touches (a new group, a new row):
-- neither seen nor conflicting, they would stay though the TRUNCATE removed their source rows.
-- (Other recomputations are covered: every one advances the epoch, and a statement inside a
-- statement takes its changes' stamps first.) So a TRUNCATE there is refused, not retryable:
-- a retried one would be in the same position.
CREATE OR REPLACE FUNCTION pgtrickle._immediate_truncated(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'cannot truncate a source of stream table % (IMMEDIATE) at isolation level %',
            (SELECT pgtrickle._display_name(pgt_schema, pgt_name) FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id),
            upper(current_setting('transaction_isolation'))
            USING ERRCODE = 'feature_not_supported',
                  DETAIL = 'The TRUNCATE recomputes its contents from this transaction''s snapshot, which can predate changes other writers committed.',
                  HINT = 'Run the TRUNCATE in a READ COMMITTED transaction.';
    END IF;
    PERFORM pgtrickle._immediate_recompute(p_pgt_id);
END
$$;

-- The trigger's code applying a statement's changes. Changes carried down a recursion that do
-- not settle (a cycle no row of the query reaches, _recursion_unsettled, SQLSTATE 22PT1) are
-- recomputed instead, recorded as a fallback, as a scheduled refresh falls back to FULL. Only
-- such plans pay for the exception block (a subtransaction per statement).
CREATE OR REPLACE FUNCTION pgtrickle._immediate_apply(p_pgt_id bigint, p_apply text) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN strpos(p_apply, 'pgtrickle._recursion_unsettled(') = 0 THEN p_apply || ';' ELSE format($block$BEGIN
            %2$s;
        EXCEPTION WHEN SQLSTATE '22PT1' THEN
            PERFORM pgtrickle._immediate_fallback(%1$s, SQLERRM || ': recomputed instead of applying its changes');
            PERFORM pgtrickle._immediate_recompute(%1$s);
        END;$block$, p_pgt_id, p_apply) END
$$;

-- Creates or replaces the function and triggers maintaining an IMMEDIATE stream table, as the
-- stream table's owner (the caller): the plan's IMMEDIATE statements when it has them, a
-- recomputation otherwise. Idempotent.
--
-- A plan that takes stamps (a query joining tables, or recomputing groups) also counts, in a
-- transaction-local setting, the statements on its sources that are running (a BEFORE STATEMENT trigger adds one, the AFTER trigger takes it
-- away). A statement run inside another one (a cascading foreign key, a trigger, a writable CTE
-- changing two sources) fires its trigger while the other's changes are in the tables but not yet
-- in the stream table, which its delta would join with as if they were: then it recomputes, and so
-- does the last trigger of the outer statement. Each takes the stamps of its own changes first
-- (after the epoch, the order of every writer): a recomputation reads the sources as its snapshot
-- shows them, and at REPEATABLE READ a writer whose changes meet these and who committed after
-- that snapshot must surface as 40001, as it does for a delta.
CREATE OR REPLACE FUNCTION pgtrickle._install_immediate(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
    v_function text;
    v_statement jsonb;
    v_relative text;
    v_relative_code text;
    v_two_statements text;
    v_branch text;
    v_branches text := '';
    v_branches_read_committed text := '';
    v_stamps boolean;
    v_counter_setting text := format('pgtrickle.immediate_%s', p_pgt_id);
    v_recompute_setting text := format('pgtrickle.immediate_%s_recompute', p_pgt_id);
    v_nested text := '';
    v_trigger record;
    -- Where the server's MERGE suits the relative statement (see the loop below).
    v_version int := current_setting('server_version_num')::int;
    v_relative_read_committed boolean := v_version NOT BETWEEN 170000 AND 179999;
    v_relative_other_levels boolean := v_version >= 180000;
BEGIN
    SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id;
    v_function := pgtrickle._immediate_function_name(v_st);
    -- A look at the boundary of the first rows, and a turn, count as stamps: a writer reaching the
    -- first rows, or taking the exclusive turn, reads the tables as other writers left them, as a
    -- stamped delta does.
    v_stamps := EXISTS (SELECT 1 FROM jsonb_array_elements(coalesce(v_st.plan -> 'immediate', '[]')) AS s
                       WHERE s ->> 'stamps' IS NOT NULL OR s ->> 'boundary' IS NOT NULL OR s ->> 'turn' IS NOT NULL);
    FOR v_statement IN SELECT s FROM jsonb_array_elements(coalesce(v_st.plan -> 'immediate', '[]')) AS s LOOP
        v_branch := format($when$
    ELSIF TG_RELID = ANY (%L::oid[]) AND TG_OP = %L THEN$when$,
            (SELECT array_agg(t.relid ORDER BY t.relid)
             FROM pgtrickle._table_and_descendants((v_statement ->> 'source')::oid) AS t(relid)),
            v_statement ->> 'event');
        -- The relative statement: at READ COMMITTED on PostgreSQL 15, 16 and 18; at REPEATABLE
        -- READ and SERIALIZABLE on 18 only, where a MERGE whose target row another transaction
        -- updated after its snapshot fails with 40001. Before 18 such a MERGE applies its action
        -- to the newest version instead, which the second pass and the check for new groups
        -- (reading the old snapshot) do not expect: writers counted changes twice (17) or deferred
        -- a group forever (15). On 17 writers lost changes at READ COMMITTED too
        -- (docs/architecture.md, "Relative statements"). A plan compiled before it had a field of
        -- its own holds it in apply (relative: true), without the two-statement form: it stays
        -- relative until recompiled.
        v_relative := CASE
            WHEN (v_statement ->> 'relative')::boolean THEN v_statement ->> 'apply'
            WHEN v_relative_read_committed THEN v_statement ->> 'relative_apply'
        END;
        IF v_relative IS NOT NULL THEN
            -- It locks what it touches; groups it found created meanwhile get a second pass.
            v_relative_code := format($branch$
        __pgt_retry := NULL;
        LOOP
            %1$s;
            EXIT WHEN coalesce(pg_catalog.current_setting(%2$L, true), '') = '';
            __pgt_retry := pg_catalog.current_setting(%2$L)::bytea[];
            PERFORM pg_catalog.set_config(%2$L, '', true);
        END LOOP;$branch$,
                replace(pgtrickle._plan_statement(v_st, v_relative), '"__pgt_id__"', p_pgt_id::text),
                format('pgtrickle.immediate_%s_deferred', p_pgt_id));
            v_branches_read_committed := v_branches_read_committed || v_branch || v_relative_code;
            IF (v_statement ->> 'relative')::boolean OR v_relative_other_levels THEN
                v_branches := v_branches || v_branch || v_relative_code;
                CONTINUE;
            END IF;
        END IF;
        v_two_statements := format($branch$%1$s%5$s%4$s%2$s
        %3$s$branch$,
            CASE WHEN v_statement ->> 'stamps' IS NULL THEN '' ELSE format($stamps$
        LOOP
            EXIT WHEN NOT pgtrickle._immediate_stamp(%1$s, ARRAY(%2$s));
        END LOOP;$stamps$, p_pgt_id, pgtrickle._plan_statement(v_st, v_statement ->> 'stamps')) END,
            -- Writers that take turns on one stamp lock no rows: the plan lists no identities.
            CASE WHEN v_statement ->> 'identities' IS NULL THEN '' ELSE format($locks$
        PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtextextended(pg_catalog.encode(k, 'hex'), %1$s))
        FROM (SELECT k FROM (%2$s) AS touched(k) ORDER BY k) AS sorted;$locks$,
                p_pgt_id, pgtrickle._plan_statement(v_st, v_statement ->> 'identities')) END,
            pgtrickle._immediate_apply(p_pgt_id, pgtrickle._plan_statement(v_st, v_statement ->> 'apply')),
            -- A statement inside a statement recomputes, once it holds the stamps of its changes.
            CASE WHEN v_stamps THEN format($recompute$
        IF v_recompute THEN
            PERFORM pgtrickle._immediate_recompute(%1$s);
            RETURN NULL;
        END IF;$recompute$, p_pgt_id) ELSE '' END,
            -- Sides: the lock of the first rows without the look, shared by the writers of the
            -- table that goes on side by side (unless this statement recomputes, which takes it
            -- exclusively), exclusive for the other sources' writers.
            -- The first rows: after the join keys' stamps, a look at the boundary under its lock,
            -- held shared while looking (a session lock, released on every way out) and, below it,
            -- until the end; reaching it, exclusively, with the whole stamp (-2).
            CASE WHEN v_statement ->> 'turn' = 'shared' THEN format($shared$
        IF NOT v_recompute THEN
            PERFORM pg_catalog.pg_advisory_xact_lock_shared(%1$s, %2$s);
            PERFORM pgtrickle._immediate_below_boundary(%2$s);
        END IF;$shared$, pgtrickle._immediate_boundary_space(), p_pgt_id)
            WHEN v_statement ->> 'turn' = 'exclusive' THEN format($exclusive$
        PERFORM pgtrickle._immediate_reaching_boundary(%1$s);$exclusive$, p_pgt_id)
            WHEN v_statement ->> 'boundary' IS NULL THEN '' ELSE format($boundary$
        __pgt_looking := true;
        BEGIN
            PERFORM pg_catalog.pg_advisory_lock_shared(%1$s, %2$s);
            -- No variable in the query: with a parameter, PostgreSQL would plan it at every call.
            __pgt_reach := v_recompute;
            IF NOT __pgt_reach THEN
                __pgt_reach := (%3$s);
            END IF;
            IF NOT __pgt_reach THEN
                PERFORM pg_catalog.pg_advisory_xact_lock_shared(%1$s, %2$s);
            END IF;
            PERFORM pg_catalog.pg_advisory_unlock_shared(%1$s, %2$s);
            __pgt_looking := false;
        EXCEPTION WHEN OTHERS OR query_canceled THEN
            IF __pgt_looking THEN
                PERFORM pg_catalog.pg_advisory_unlock_shared(%1$s, %2$s);
            END IF;
            RAISE;
        END;
        IF NOT __pgt_reach THEN
            PERFORM pgtrickle._immediate_below_boundary(%2$s);
            RETURN NULL;
        END IF;
        PERFORM pgtrickle._immediate_reaching_boundary(%2$s);$boundary$,
                pgtrickle._immediate_boundary_space(), p_pgt_id,
                pgtrickle._plan_statement(v_st, v_statement ->> 'boundary')) END);
        v_branches := v_branches || v_branch || v_two_statements;
        IF v_relative IS NULL THEN
            v_branches_read_committed := v_branches_read_committed || v_branch || v_two_statements;
        END IF;
    END LOOP;
    IF v_stamps THEN
        v_nested := format($nested$
    v_running := coalesce(nullif(pg_catalog.current_setting(%1$L, true), ''), '0')::integer;
    IF TG_WHEN = 'BEFORE' THEN
        PERFORM pg_catalog.set_config(%1$L, (v_running + 1)::text, true);
        RETURN NULL;
    END IF;
    IF TG_OP <> 'TRUNCATE' THEN
        v_running := v_running - 1;
        PERFORM pg_catalog.set_config(%1$L, v_running::text, true);
    END IF;
    IF v_running <> 0 OR pg_catalog.current_setting(%2$L, true) = 'on' THEN
        IF pg_catalog.current_setting(%2$L, true) IS DISTINCT FROM 'on' THEN
            PERFORM pgtrickle._immediate_fallback(%3$s, 'a statement ran inside another statement on its sources'
                || ' (a cascading foreign key, a trigger, a writable CTE): recomputed instead of applying its changes');
        END IF;
        PERFORM pg_catalog.set_config(%2$L, CASE WHEN v_running <> 0 THEN 'on' ELSE 'off' END, true);
        -- The epoch before the stamps, in the order every writer takes them.
        PERFORM pgtrickle._immediate_epoch_advance(%3$s);
        v_recompute := true;
    END IF;$nested$, v_counter_setting, v_recompute_setting, p_pgt_id);
    END IF;
    -- The body holds the user's query, so it is passed as a %L literal (see _ensure_change_buffer).
    -- At READ COMMITTED the MERGE sees what the previous holders of its locks committed, so no
    -- unique violation can arise; at REPEATABLE READ or SERIALIZABLE one can (another transaction
    -- stored the same row meanwhile, which this one's snapshot does not see) and becomes a
    -- serialization failure, in a block of its own: a block with an exception handler is a
    -- subtransaction, which READ COMMITTED writers do not pay for.
    EXECUTE format('CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER '
                   'SET search_path = pg_catalog, pg_temp AS %L', v_function, format($body$
DECLARE
    v_running integer;
    v_recompute boolean := false;
    __pgt_retry bytea[];
    __pgt_looking boolean;
    __pgt_reach boolean;
BEGIN%3$s
    IF TG_OP = 'TRUNCATE' THEN
        PERFORM pgtrickle._immediate_truncated(%1$s);
    ELSIF pg_catalog.current_setting('transaction_isolation') = 'read committed' THEN
        IF false THEN NULL;%5$s
        ELSE
            PERFORM pgtrickle._immediate_recompute(%1$s);
        END IF;
    ELSE%4$s
        BEGIN
            IF false THEN NULL;%2$s
            ELSE
                PERFORM pgtrickle._immediate_recompute(%1$s);
            END IF;
        EXCEPTION WHEN unique_violation THEN
            RAISE EXCEPTION 'could not serialize access to a stream table maintained in IMMEDIATE mode: %%', SQLERRM
                USING ERRCODE = 'serialization_failure', HINT = 'Retry the transaction.';
        END;
    END IF;
    RETURN NULL;
END
$body$, p_pgt_id, v_branches, v_nested,
        CASE WHEN v_stamps THEN format('
        PERFORM pgtrickle._immediate_epoch_check(%s);', p_pgt_id) ELSE '' END, v_branches_read_committed));
    IF v_stamps THEN
        PERFORM pgtrickle._immediate_epoch_advance(p_pgt_id);
    END IF;
    -- The boundary's traces, there before any writer's snapshot (else its first use is a conflict).
    IF pgtrickle._immediate_read_write_lock(v_st.plan) THEN
        PERFORM pgtrickle._immediate_boundary_traces(p_pgt_id);
    END IF;
    EXECUTE format('REVOKE ALL ON FUNCTION %s() FROM PUBLIC', v_function);
    EXECUTE format('COMMENT ON FUNCTION %s() IS %L', v_function,
        format('pgtrickle: maintains stream table %s inside the statements on its sources',
               pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name)));
    -- On the partitions and inheritance children too: a statement naming one of them directly
    -- fires its own triggers only (one naming the parent fires the parent's, with every row).
    FOR v_trigger IN
        SELECT tables.relid AS source, t.* FROM pgtrickle.pgt_dependencies d
        CROSS JOIN LATERAL pgtrickle._table_and_descendants(d.source_relid) AS tables(relid)
        CROSS JOIN (VALUES
            ('insert', 'AFTER INSERT', 'REFERENCING NEW TABLE AS __pgt_newrows'),
            ('update', 'AFTER UPDATE', 'REFERENCING OLD TABLE AS __pgt_oldrows NEW TABLE AS __pgt_newrows'),
            ('delete', 'AFTER DELETE', 'REFERENCING OLD TABLE AS __pgt_oldrows'),
            ('truncate', 'AFTER TRUNCATE', ''),
            ('running', 'BEFORE INSERT OR UPDATE OR DELETE', '')) AS t(suffix, event, referencing)
        WHERE d.pgt_id = p_pgt_id AND (t.suffix <> 'running' OR v_stamps)
          AND NOT EXISTS (SELECT 1 FROM pg_trigger
                          WHERE tgrelid = tables.relid AND tgname = format('pgtrickle_immediate_%s_%s', p_pgt_id, t.suffix))
        ORDER BY tables.relid, t.suffix
    LOOP
        BEGIN
            EXECUTE format('CREATE TRIGGER %I %s ON %s %s FOR EACH STATEMENT EXECUTE FUNCTION %s()',
                           format('pgtrickle_immediate_%s_%s', p_pgt_id, v_trigger.suffix), v_trigger.event,
                           v_trigger.source::regclass, v_trigger.referencing, v_function);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'cannot maintain stream table % in IMMEDIATE mode: permission denied to create triggers on table %',
                pgtrickle._display_name(v_st.pgt_schema, v_st.pgt_name), v_trigger.source::regclass
                USING ERRCODE = 'insufficient_privilege',
                      HINT = 'The owner of the table (or a role with the TRIGGER privilege on it) must create the stream table.';
        END;
    END LOOP;
END
$$;

-- Removes the triggers and function of an IMMEDIATE stream table, as its owner. A trigger the
-- owner may not drop (it does not own the source) stays, calling the function made a no-op, with
-- a NOTICE, as capture triggers do (see _drop_capture_triggers).
CREATE OR REPLACE FUNCTION pgtrickle._drop_immediate(p_st pgtrickle.pgt_stream_tables) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_function text := pgtrickle._immediate_function_name(p_st);
    v_trigger record;
    v_kept boolean := false;
BEGIN
    IF to_regprocedure(v_function || '()') IS NULL THEN
        RETURN;
    END IF;
    FOR v_trigger IN
        SELECT t.tgname, t.tgrelid FROM pg_trigger t WHERE t.tgfoid = to_regprocedure(v_function || '()')
    LOOP
        BEGIN
            EXECUTE format('DROP TRIGGER %I ON %s', v_trigger.tgname, v_trigger.tgrelid::regclass);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE NOTICE 'trigger % on table % stays in place as a no-op: only the table''s owner can drop it',
                v_trigger.tgname, v_trigger.tgrelid::regclass;
            v_kept := true;
        END;
    END LOOP;
    IF v_kept THEN
        EXECUTE format('CREATE OR REPLACE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $body$BEGIN RETURN NULL; END$body$',
                       v_function);
    ELSE
        EXECUTE format('DROP FUNCTION %s()', v_function);
    END IF;
END
$$;

-- The refresh mode asked for: schedule => 'IMMEDIATE' (as the reference documentation also writes
-- it) means refresh_mode IMMEDIATE, whatever scheduled mode is named besides, except FULL.
CREATE OR REPLACE FUNCTION pgtrickle._schedule_mode(p_schedule text, p_refresh_mode text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_mode text := pgtrickle._normalize_refresh_mode(coalesce(p_refresh_mode, 'AUTO'));
BEGIN
    IF upper(btrim(p_schedule)) IS DISTINCT FROM 'IMMEDIATE' THEN
        IF v_mode = 'IMMEDIATE' AND lower(btrim(p_schedule)) <> 'calculated' THEN
            RAISE EXCEPTION 'a stream table in refresh_mode IMMEDIATE has no schedule, not "%"', p_schedule
                USING ERRCODE = 'invalid_parameter_value',
                      HINT = 'Leave schedule out: the stream table is maintained inside every statement on its source.';
        END IF;
        RETURN v_mode;
    END IF;
    IF v_mode = 'FULL' THEN
        RAISE EXCEPTION 'schedule ''IMMEDIATE'' maintains a stream table inside every statement on its source, which refresh_mode FULL cannot'
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Use refresh_mode => ''IMMEDIATE''.';
    END IF;
    RETURN 'IMMEDIATE';
END
$$;

DROP FUNCTION IF EXISTS pgtrickle._refuse_immediate_change(pgtrickle.pgt_stream_tables, text, boolean);

-- The first step of an alter_stream_table that switches a stream table into or out of IMMEDIATE
-- mode, or changes the query of an IMMEDIATE one: it locks the sources against writers (waiting
-- for the running ones), before the storage table, in the order writers take them, so that the
-- switch is a cut: every write before it is in the contents the switch computes, every write
-- after it is maintained by the new mode. Refuses what cannot switch, with the reason.
CREATE OR REPLACE FUNCTION pgtrickle._prepare_immediate_change(
    p_st pgtrickle.pgt_stream_tables, p_mode text, p_query_changes boolean) RETURNS boolean
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_switch boolean := (p_st.refresh_mode = 'IMMEDIATE') <> (p_mode = 'IMMEDIATE');
    v_display text := pgtrickle._display_name(p_st.pgt_schema, p_st.pgt_name);
    v_sources oid[];
    v_source oid;
    v_refusal text;
BEGIN
    IF NOT v_switch AND NOT (p_st.refresh_mode = 'IMMEDIATE' AND p_query_changes) THEN
        RETURN false;
    END IF;
    IF current_setting('transaction_isolation') <> 'read committed' THEN
        RAISE EXCEPTION 'stream table "%": switching into or out of IMMEDIATE mode, or changing the query of an IMMEDIATE stream table, runs at READ COMMITTED', v_display
            USING ERRCODE = 'invalid_transaction_state',
                  HINT = 'It recomputes the contents from what every writer it waited for committed, which a snapshot taken before the wait does not see.';
    END IF;
    v_sources := pgtrickle._sources_of(p_st.pgt_id);
    IF v_switch AND p_mode = 'IMMEDIATE' THEN
        v_refusal := pgtrickle._immediate_refusal(v_sources);
        IF v_refusal IS NOT NULL THEN
            RAISE EXCEPTION 'stream table "%" cannot be IMMEDIATE: %', v_display, v_refusal
                USING ERRCODE = 'feature_not_supported';
        END IF;
    END IF;
    FOREACH v_source IN ARRAY v_sources LOOP
        BEGIN
            EXECUTE format('LOCK TABLE %s IN SHARE ROW EXCLUSIVE MODE', v_source::regclass);
        EXCEPTION WHEN insufficient_privilege THEN
            NULL;  -- creating or dropping its triggers takes the lock (later, after the storage)
        END;
    END LOOP;
    RETURN v_switch;
END
$$;

-- The last step of switching a stream table into or out of IMMEDIATE mode, once the catalog has
-- the new mode: the triggers of the new mode replace the old ones, and the contents are computed
-- once (recording the frontier the new mode needs: none for IMMEDIATE, this snapshot for a
-- scheduled mode, whose capture sees every write from the commit on).
CREATE OR REPLACE FUNCTION pgtrickle._switch_immediate(p_pgt_id bigint) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_st pgtrickle.pgt_stream_tables;
    v_sources oid[];
    v_source oid;
BEGIN
    SELECT * INTO STRICT v_st FROM pgtrickle.pgt_stream_tables WHERE pgt_id = p_pgt_id;
    v_sources := pgtrickle._sources_of(p_pgt_id);
    IF v_st.refresh_mode = 'IMMEDIATE' THEN
        PERFORM pgtrickle._install_immediate(p_pgt_id);
        PERFORM pgtrickle._full_refresh(p_pgt_id, 'ALTER');
        FOREACH v_source IN ARRAY v_sources LOOP
            PERFORM pgtrickle._drop_capture_if_unused(v_source);
        END LOOP;
    ELSE
        PERFORM pgtrickle._drop_immediate(v_st);
        PERFORM pgtrickle._install_capture(v_sources);
        PERFORM pgtrickle._full_refresh(p_pgt_id, 'ALTER');
    END IF;
END
$$;
