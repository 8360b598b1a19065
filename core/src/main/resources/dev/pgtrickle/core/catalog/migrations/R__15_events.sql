-- Notifications (NOTIFY), delivered when the sending transaction commits, so a rolled-back
-- refresh or change announces nothing. Payloads are compact JSON objects.
--
--   pgtrickle_events   refresh_completed, refresh_failed, stream_table_suspended
--   pgtrickle_catalog  created, altered, dropped (the daemon listens to compile new definitions)
--
-- NOTIFY payloads must stay below 8000 bytes: free text (errors) is cut to 1000 characters,
-- which even fully escaped as JSON leaves room for the rest.

-- A stream table's name for events: quoted where needed, so that it can be handed back to the
-- SQL API as it is; the current name of the storage table, else the recorded one.
CREATE OR REPLACE FUNCTION pgtrickle._event_name(p_relid oid, p_schema name, p_name name) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT pgtrickle._display_name(n.nspname, c.relname)
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.oid = p_relid),
                    pgtrickle._display_name(p_schema, p_name))
$$;

CREATE OR REPLACE FUNCTION pgtrickle._event_text(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT pg_catalog.left(p_text, 1000)
$$;

CREATE OR REPLACE FUNCTION pgtrickle._notify_event(p_payload jsonb) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_notify('pgtrickle_events', p_payload::text)
$$;

-- Tells listeners (the daemon) that a stream table's definition or options changed.
CREATE OR REPLACE FUNCTION pgtrickle._notify_catalog(p_event text, p_pgt_id bigint) RETURNS void
LANGUAGE sql SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_notify('pgtrickle_catalog', jsonb_build_object(
               'event', p_event,
               'pgt_id', st.pgt_id,
               'stream_table', pgtrickle._event_name(st.pgt_relid, st.pgt_schema, st.pgt_name))::text)
    FROM pgtrickle.pgt_stream_tables st
    WHERE st.pgt_id = p_pgt_id
$$;
