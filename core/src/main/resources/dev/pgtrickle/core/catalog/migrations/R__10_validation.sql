-- Validation and normalization of user input: names, schedules, modes.
-- Every public function here raises a clear error that lists the accepted values.

-- Splits a possibly schema-qualified name into (schema, name); unqualified names go to public.
CREATE OR REPLACE FUNCTION pgtrickle._split_name(p_name text, OUT schema_name name, OUT rel_name name)
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_parts text[];
BEGIN
    IF p_name IS NULL OR btrim(p_name) = '' THEN
        RAISE EXCEPTION 'stream table name must not be empty' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    BEGIN
        v_parts := parse_ident(p_name);
    EXCEPTION WHEN invalid_parameter_value THEN
        RAISE EXCEPTION 'invalid stream table name "%": expected name or schema.name', p_name
            USING ERRCODE = 'invalid_name';
    END;
    IF cardinality(v_parts) = 1 THEN
        schema_name := 'public';
        rel_name := v_parts[1];
    ELSIF cardinality(v_parts) = 2 THEN
        schema_name := v_parts[1];
        rel_name := v_parts[2];
    ELSE
        RAISE EXCEPTION 'invalid stream table name "%": expected name or schema.name', p_name
            USING ERRCODE = 'invalid_name';
    END IF;
END
$$;

-- Display form of a relation name: schema.name, quoted only where needed.
CREATE OR REPLACE FUNCTION pgtrickle._display_name(p_schema name, p_name name) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT quote_ident(p_schema) || '.' || quote_ident(p_name)
$$;

-- The name a relation has now (schema.name, unquoted, as monitoring shows it), or the one it
-- was recorded under when it no longer exists.
CREATE OR REPLACE FUNCTION pgtrickle._current_name(p_relid oid, p_schema name, p_name name) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce((SELECT n.nspname || '.' || c.relname
                     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                     WHERE c.oid = p_relid),
                    p_schema || '.' || p_name)
$$;

CREATE OR REPLACE FUNCTION pgtrickle._schedule_forms() RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT 'expected a duration such as ''30s'', ''5m'', ''1h30m'' or ''250ms'' (units d, h, m, s, ms), '
        || 'a cron expression with 5 fields (minute hour day-of-month month day-of-week) '
        || 'or 6 fields (seconds first) such as ''*/5 * * * *'', '
        || 'a macro (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly), '
        || 'or ''calculated'''
$$;

-- Checks one cron field: comma-separated items of *, ?, n, n-m, each optionally /step.
-- Returns NULL when valid, otherwise why not.
CREATE OR REPLACE FUNCTION pgtrickle._cron_field_error(
    p_field text, p_label text, p_min int, p_max int, p_names text[], p_allow_question boolean)
RETURNS text LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_item text;
    v_match text[];
    v_bounds int[];
    v_token text;
    v_value int;
BEGIN
    FOREACH v_item IN ARRAY string_to_array(p_field, ',') LOOP
        CONTINUE WHEN v_item = '?' AND p_allow_question;
        v_match := regexp_match(v_item, '^(\*|([0-9]+|[a-z]{3})(-([0-9]+|[a-z]{3}))?)(/([0-9]+))?$');
        IF v_match IS NULL THEN
            RETURN format('%s field "%s" is not valid', p_label, p_field);
        END IF;
        IF v_match[6] IS NOT NULL AND (length(v_match[6]) > 6 OR v_match[6]::int = 0) THEN
            RETURN format('%s field "%s" has an invalid step', p_label, p_field);
        END IF;
        CONTINUE WHEN v_match[1] = '*';
        v_bounds := ARRAY[]::int[];
        FOREACH v_token IN ARRAY ARRAY[v_match[2], coalesce(v_match[4], v_match[2])] LOOP
            IF v_token ~ '^[0-9]+$' THEN
                v_value := CASE WHEN length(v_token) > 6 THEN p_max + 1 ELSE v_token::int END;
            ELSE
                v_value := array_position(p_names, v_token) - 1 + p_min;
                IF v_value IS NULL THEN
                    RETURN format('%s field "%s": unknown name "%s"', p_label, p_field, v_token);
                END IF;
            END IF;
            IF v_value < p_min OR v_value > p_max THEN
                RETURN format('%s field "%s": %s is outside %s-%s', p_label, p_field, v_token, p_min, p_max);
            END IF;
            v_bounds := v_bounds || v_value;
        END LOOP;
        IF v_bounds[2] < v_bounds[1] THEN
            RETURN format('%s field "%s": range %s is reversed', p_label, p_field, v_item);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

-- Seconds of a duration schedule ('90s', '1m30s', '250ms'); NULL for cron schedules and calculated.
CREATE OR REPLACE FUNCTION pgtrickle._schedule_seconds(p_schedule text) RETURNS numeric
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN p_schedule ~ '^([0-9]+(ms|[dhms]))+$' THEN
        (SELECT sum(m[1]::numeric * CASE m[2] WHEN 'd' THEN 86400 WHEN 'h' THEN 3600 WHEN 'm' THEN 60
                                              WHEN 'ms' THEN 0.001 ELSE 1 END)
         FROM regexp_matches(p_schedule, '([0-9]+)(ms|[dhms])', 'g') AS m) END
$$;

-- Normalizes a schedule: NULL or 'calculated' -> NULL (the tightest schedule of the consumers);
-- a duration, cron expression or macro -> its canonical text. Anything else raises an error
-- that shows the accepted forms.
CREATE OR REPLACE FUNCTION pgtrickle.normalize_schedule(p_schedule text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v text := lower(btrim(p_schedule));
    v_fields text[];
    v_offset int;
    v_error text;
    v_total numeric;
    c_months constant text[] := ARRAY['jan','feb','mar','apr','may','jun','jul','aug','sep','oct','nov','dec'];
    c_days constant text[] := ARRAY['sun','mon','tue','wed','thu','fri','sat'];
BEGIN
    IF p_schedule IS NULL OR v = 'calculated' THEN
        RETURN NULL;
    END IF;
    IF v IN ('@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly') THEN
        RETURN v;
    END IF;
    v_total := pgtrickle._schedule_seconds(v);
    IF v_total IS NOT NULL THEN
        -- Shorter ones would keep the daemon refreshing without a pause.
        IF v_total < 0.1 THEN
            RAISE EXCEPTION 'invalid schedule "%": a duration must be at least 100ms; %', p_schedule,
                pgtrickle._schedule_forms() USING ERRCODE = 'invalid_parameter_value';
        END IF;
        IF v_total > 366 * 86400 THEN
            RAISE EXCEPTION 'invalid schedule "%": a duration must be at most 366d; %', p_schedule,
                pgtrickle._schedule_forms() USING ERRCODE = 'invalid_parameter_value';
        END IF;
        RETURN v;
    END IF;
    v_fields := regexp_split_to_array(v, '\s+');
    IF v <> '' AND cardinality(v_fields) IN (5, 6) THEN
        v_offset := cardinality(v_fields) - 5;
        v_error := CASE WHEN v_offset = 1
            THEN pgtrickle._cron_field_error(v_fields[1], 'second', 0, 59, NULL, false) END;
        v_error := coalesce(v_error,
            pgtrickle._cron_field_error(v_fields[1 + v_offset], 'minute', 0, 59, NULL, false),
            pgtrickle._cron_field_error(v_fields[2 + v_offset], 'hour', 0, 23, NULL, false),
            pgtrickle._cron_field_error(v_fields[3 + v_offset], 'day-of-month', 1, 31, NULL, true),
            pgtrickle._cron_field_error(v_fields[4 + v_offset], 'month', 1, 12, c_months, false),
            pgtrickle._cron_field_error(v_fields[5 + v_offset], 'day-of-week', 0, 7, c_days, true));
        IF v_error IS NULL THEN
            RETURN array_to_string(v_fields, ' ');
        END IF;
        RAISE EXCEPTION 'invalid schedule "%": %; %', p_schedule, v_error, pgtrickle._schedule_forms()
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RAISE EXCEPTION 'invalid schedule "%": %', p_schedule, pgtrickle._schedule_forms()
        USING ERRCODE = 'invalid_parameter_value';
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._normalize_refresh_mode(p_mode text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v text := upper(btrim(p_mode));
BEGIN
    IF v IN ('AUTO', 'FULL', 'DIFFERENTIAL', 'IMMEDIATE') THEN
        RETURN v;
    END IF;
    RAISE EXCEPTION 'unknown refresh_mode "%": expected ''AUTO'', ''DIFFERENTIAL'', ''FULL'' or ''IMMEDIATE''', p_mode
        USING ERRCODE = 'invalid_parameter_value';
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._normalize_cdc_mode(p_mode text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v text := lower(btrim(p_mode));
BEGIN
    IF p_mode IS NULL OR v IN ('trigger', 'wal', 'auto') THEN
        RETURN v;
    END IF;
    RAISE EXCEPTION 'unknown cdc_mode "%": expected ''trigger'', ''wal'' or ''auto''', p_mode
        USING ERRCODE = 'invalid_parameter_value';
END
$$;

CREATE OR REPLACE FUNCTION pgtrickle._normalize_tier(p_tier text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v text := lower(btrim(p_tier));
BEGIN
    IF v IN ('hot', 'warm', 'cold', 'frozen') THEN
        RETURN v;
    END IF;
    RAISE EXCEPTION 'unknown tier "%": expected ''hot'', ''warm'', ''cold'' or ''frozen''', p_tier
        USING ERRCODE = 'invalid_parameter_value';
END
$$;

-- Users may only set ACTIVE (resume) or SUSPENDED; ERROR is set by pgtrickle itself.
CREATE OR REPLACE FUNCTION pgtrickle._normalize_status(p_status text) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v text := upper(btrim(p_status));
BEGIN
    IF v IN ('ACTIVE', 'SUSPENDED') THEN
        RETURN v;
    END IF;
    RAISE EXCEPTION 'invalid status "%": expected ''ACTIVE'' or ''SUSPENDED''', p_status
        USING ERRCODE = 'invalid_parameter_value';
END
$$;
