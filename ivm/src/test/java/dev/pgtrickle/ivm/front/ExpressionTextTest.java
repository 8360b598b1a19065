package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Project;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Expression texts in the tree are JSqlParser's deparse of PostgreSQL's canonical text. They
 * differ from it only in spacing, in spelling LIKE for {@code ~~} (expected values below were
 * checked by re-creating a view from them: PostgreSQL printed the same canonical text again), and
 * in the alias the front end puts before the columns of a query block's only FROM item.
 */
class ExpressionTextTest {

    private static Project parse(String sql) throws Exception {
        return (Project) new QueryParser().parse(sql, new FakeCatalog());
    }

    private static Map<String, String> outputs(String sql) throws Exception {
        return outputs(parse(sql));
    }

    private static Map<String, String> outputs(Project project) {
        Map<String, String> outputs = new LinkedHashMap<>();
        for (OutputColumn output : project.outputs()) {
            outputs.put(output.name(), output.expression());
        }
        return outputs;
    }

    private static Map<String, String> expected(String... nameExpressionPairs) {
        Map<String, String> expected = new LinkedHashMap<>();
        for (int i = 0; i < nameExpressionPairs.length; i += 2) {
            expected.put(nameExpressionPairs[i], nameExpressionPairs[i + 1]);
        }
        return expected;
    }

    @Test
    void commonExpressions() throws Exception {
        // SELECT id::text AS id_text, CASE WHEN salary > 10 THEN 'high' WHEN salary IS NULL THEN NULL
        //   ELSE 'low' END AS band, E'it''s\n' || name AS esc, ARRAY[1, 2, dept_id] AS arr,
        //   COALESCE(name, 'x') AS nm, dept_id IN (1, 2, 3) AS in_list, salary BETWEEN 1 AND 10 AS btw,
        //   name LIKE 'a%' AS lk, name ILIKE 'B%' AS ilk, name ~ '^a' AS re, name !~* 'z' AS nre,
        //   data ->> 'k' AS jk, data -> 'o' -> 'p' AS jo, data #>> '{a,b}' AS jp,
        //   hired + '1 day'::interval AS next_day, DATE '2024-01-01' AS d,
        //   dept_id IS NOT DISTINCT FROM 3 AS nd, tags[1] AS first_tag, 'a' = ANY (tags) AS has_a,
        //   NOT (salary > 5) AS neg, -salary AS minus, salary::numeric(10,2) AS sal2,
        //   CAST(dept_id AS bigint) AS big, extract(year FROM hired) AS yr,
        //   name NOT IN ('a', 'b') AS notin, NULLIF(dept_id, 0) AS nz, greatest(1, dept_id) AS g,
        //   "Mixed Case" % 2 AS m, timestamp '2024-01-01 10:00' AS ts, data @> '{"a":1}' AS contains,
        //   substring(name from 2 for 3) AS sub, position('a' in name) AS pos,
        //   trim(both ' ' from name) AS tr, interval '2 hours' AS iv, 1.5e3 AS fl, true AS t,
        //   (salary > 1) IS TRUE AS ist, name COLLATE "C" AS coll,
        //   dept_id IS DISTINCT FROM NULL AS idf, tags && ARRAY['x'] AS ov, name SIMILAR TO 'a%' AS sim,
        //   (data->>'n')::int AS n, to_char(hired, 'YYYY') AS tc FROM emp
        Map<String, String> outputs = outputs("""
                SELECT (id)::text AS id_text,
                        CASE
                            WHEN (salary > (10)::numeric) THEN 'high'::text
                            WHEN (salary IS NULL) THEN NULL::text
                            ELSE 'low'::text
                        END AS band,
                    ('it''s
                '::text || name) AS esc,
                    ARRAY[1, 2, dept_id] AS arr,
                    COALESCE(name, 'x'::text) AS nm,
                    (dept_id = ANY (ARRAY[1, 2, 3])) AS in_list,
                    ((salary >= (1)::numeric) AND (salary <= (10)::numeric)) AS btw,
                    (name ~~ 'a%'::text) AS lk,
                    (name ~~* 'B%'::text) AS ilk,
                    (name ~ '^a'::text) AS re,
                    (name !~* 'z'::text) AS nre,
                    (data ->> 'k'::text) AS jk,
                    ((data -> 'o'::text) -> 'p'::text) AS jo,
                    (data #>> '{a,b}'::text[]) AS jp,
                    (hired + '1 day'::interval) AS next_day,
                    '2024-01-01'::date AS d,
                    (NOT (dept_id IS DISTINCT FROM 3)) AS nd,
                    tags[1] AS first_tag,
                    ('a'::text = ANY (tags)) AS has_a,
                    (NOT (salary > (5)::numeric)) AS neg,
                    (- salary) AS minus,
                    (salary)::numeric(10,2) AS sal2,
                    (dept_id)::bigint AS big,
                    EXTRACT(year FROM hired) AS yr,
                    (name <> ALL (ARRAY['a'::text, 'b'::text])) AS notin,
                    NULLIF(dept_id, 0) AS nz,
                    GREATEST(1, dept_id) AS g,
                    ("Mixed Case" % 2) AS m,
                    '2024-01-01 10:00:00'::timestamp without time zone AS ts,
                    (data @> '{"a": 1}'::jsonb) AS contains,
                    SUBSTRING(name FROM 2 FOR 3) AS sub,
                    POSITION(('a'::text) IN (name)) AS pos,
                    TRIM(BOTH ' '::text FROM name) AS tr,
                    '02:00:00'::interval AS iv,
                    '1500'::numeric AS fl,
                    true AS t,
                    ((salary > (1)::numeric) IS TRUE) AS ist,
                    (name COLLATE "C") AS coll,
                    (dept_id IS NOT NULL) AS idf,
                    (tags && ARRAY['x'::text]) AS ov,
                    (name ~ similar_to_escape('a%'::text)) AS sim,
                    ((data ->> 'n'::text))::integer AS n,
                    to_char((hired)::timestamp with time zone, 'YYYY'::text) AS tc
                   FROM public.emp""");
        assertEquals(expected(
                "id_text", "(emp.id)::text",
                "band", "CASE WHEN (emp.salary > (10)::numeric) THEN 'high'::text"
                        + " WHEN (emp.salary IS NULL) THEN NULL::text ELSE 'low'::text END",
                "esc", "('it''s\n'::text || emp.name)",
                "arr", "ARRAY[1, 2, emp.dept_id]",
                "nm", "COALESCE(emp.name, 'x'::text)",
                "in_list", "(emp.dept_id = ANY(ARRAY[1, 2, 3]))",
                "btw", "((emp.salary >= (1)::numeric) AND (emp.salary <= (10)::numeric))",
                "lk", "(emp.name LIKE 'a%'::text)",
                "ilk", "(emp.name ILIKE 'B%'::text)",
                "re", "(emp.name ~ '^a'::text)",
                "nre", "(emp.name !~* 'z'::text)",
                "jk", "(emp.data ->> 'k'::text)",
                "jo", "((emp.data -> 'o'::text) -> 'p'::text)",
                "jp", "(emp.data #>> '{a,b}'::text[])",
                "next_day", "(emp.hired + '1 day'::interval)",
                "d", "'2024-01-01'::date",
                "nd", "(NOT (emp.dept_id IS DISTINCT FROM 3))",
                "first_tag", "emp.tags[1]",
                "has_a", "('a'::text = ANY(emp.tags))",
                "neg", "(NOT (emp.salary > (5)::numeric))",
                "minus", "(-emp.salary)",
                "sal2", "(emp.salary)::numeric (10, 2)",
                "big", "(emp.dept_id)::bigint",
                "yr", "EXTRACT(year FROM emp.hired)",
                "notin", "(emp.name <> ALL(ARRAY['a'::text, 'b'::text]))",
                "nz", "NULLIF(emp.dept_id, 0)",
                "g", "GREATEST(1, emp.dept_id)",
                "m", "(emp.\"Mixed Case\" % 2)",
                "ts", "'2024-01-01 10:00:00'::timestamp without time zone",
                "contains", "(emp.data @> '{\"a\": 1}'::jsonb)",
                "sub", "SUBSTRING(emp.name FROM 2 FOR 3)",
                "pos", "POSITION(('a'::text) IN (emp.name))",
                "tr", "Trim( BOTH ' '::text FROM emp.name )",
                "iv", "'02:00:00'::interval",
                "fl", "'1500'::numeric",
                "t", "true",
                "ist", "((emp.salary > (1)::numeric) IS TRUE)",
                "coll", "(emp.name COLLATE \"C\")",
                "idf", "(emp.dept_id IS NOT NULL)",
                "ov", "(emp.tags && ARRAY['x'::text])",
                "sim", "(emp.name ~ similar_to_escape('a%'::text))",
                "n", "((emp.data ->> 'n'::text))::integer",
                "tc", "to_char((emp.hired)::timestamp with time zone, 'YYYY'::text)"), outputs);
    }

    @Test
    void operatorsAndTypes() throws Exception {
        // SELECT -i AS neg, -(i + 1) AS neg2, -5 AS negc, +i AS pos, t NOT LIKE 'a%' AS nl,
        //   t NOT ILIKE 'a%' AS nil, t LIKE 'a#%' ESCAPE '#' AS le, j ? 'k' AS hk, j ?| ARRAY['a','b'] AS hany,
        //   j <@ '{}'::jsonb AS cb, j #> '{a}' AS jpath, 2 ^ 3 AS pw, i << 2 AS sl, i & 3 AS band,
        //   i | 3 AS bor, i # 3 AS bx, ~ i AS bnot, r @> 5 AS rc, r && int4range(1,3) AS rov,
        //   tv @@ to_tsquery('x') AS fts, p <-> point(0,0) AS dist, ts AT TIME ZONE 'UTC' AS utc,
        //   vc::varchar(20) AS vc2, ch::char(5) AS ch2, t::"char" AS c1, bits::bit varying(4) AS b4,
        //   ts::timestamp(3) with time zone AS ts3, ARRAY[[1,2],[3,4]] AS a2, a[1:2] AS sl2,
        //   ROW(i, t) IS NULL AS rn, CASE i WHEN 1 THEN 'one' ELSE 'other' END AS cs,
        //   bo IS NOT TRUE AS nt, bo IS UNKNOWN AS unk, i % 2 = 0 AND NOT bo OR i > 3 AS logic,
        //   'a\b' AS bs, t || 'x' || i AS cat, j -> 0 AS j0, j->'a'->>'b' AS jab,
        //   i = ANY (a) AS anya, i <> ALL (a) AS alla,
        //   make_interval(days => 3) AS mi, t ~ '\d+' AS redigit FROM misc
        Map<String, String> outputs = outputs("""
                SELECT (- i) AS neg,
                    (- (i + 1)) AS neg2,
                    '-5'::integer AS negc,
                    (+ i) AS pos,
                    (t !~~ 'a%'::text) AS nl,
                    (t !~~* 'a%'::text) AS nil,
                    (t ~~ like_escape('a#%'::text, '#'::text)) AS le,
                    (j ? 'k'::text) AS hk,
                    (j ?| ARRAY['a'::text, 'b'::text]) AS hany,
                    (j <@ '{}'::jsonb) AS cb,
                    (j #> '{a}'::text[]) AS jpath,
                    ((2)::double precision ^ (3)::double precision) AS pw,
                    (i << 2) AS sl,
                    (i & 3) AS band,
                    (i | 3) AS bor,
                    (i # 3) AS bx,
                    (~ i) AS bnot,
                    (r @> 5) AS rc,
                    (r && int4range(1, 3)) AS rov,
                    (tv @@ to_tsquery('x'::text)) AS fts,
                    (p <-> point((0)::double precision, (0)::double precision)) AS dist,
                    (ts AT TIME ZONE 'UTC'::text) AS utc,
                    (vc)::character varying(20) AS vc2,
                    (ch)::character(5) AS ch2,
                    (t)::"char" AS c1,
                    (bits)::bit varying(4) AS b4,
                    (ts)::timestamp(3) with time zone AS ts3,
                    ARRAY[ARRAY[1, 2], ARRAY[3, 4]] AS a2,
                    a[1:2] AS sl2,
                    (ROW(i, t) IS NULL) AS rn,
                        CASE i
                            WHEN 1 THEN 'one'::text
                            ELSE 'other'::text
                        END AS cs,
                    (bo IS NOT TRUE) AS nt,
                    (bo IS UNKNOWN) AS unk,
                    ((((i % 2) = 0) AND (NOT bo)) OR (i > 3)) AS logic,
                    'a\\b'::text AS bs,
                    ((t || 'x'::text) || i) AS cat,
                    (j -> 0) AS j0,
                    ((j -> 'a'::text) ->> 'b'::text) AS jab,
                    (i = ANY (a)) AS anya,
                    (i <> ALL (a)) AS alla,
                    make_interval(days => 3) AS mi,
                    (t ~ '\\d+'::text) AS redigit
                   FROM public.misc""");
        assertEquals(expected(
                "neg", "(-misc.i)",
                "neg2", "(-(misc.i + 1))",
                "negc", "'-5'::integer",
                "pos", "(+misc.i)",
                "nl", "(misc.t NOT LIKE 'a%'::text)",
                "nil", "(misc.t NOT ILIKE 'a%'::text)",
                "le", "(misc.t LIKE like_escape('a#%'::text, '#'::text))",
                "hk", "(misc.j ? 'k'::text)",
                "hany", "(misc.j ?| ARRAY['a'::text, 'b'::text])",
                "cb", "(misc.j <@ '{}'::jsonb)",
                "jpath", "(misc.j #> '{a}'::text[])",
                "pw", "((2)::double precision ^ (3)::double precision)",
                "sl", "(misc.i << 2)",
                "band", "(misc.i & 3)",
                "bor", "(misc.i | 3)",
                "bx", "(misc.i # 3)",
                "bnot", "(~misc.i)",
                "rc", "(misc.r @> 5)",
                "rov", "(misc.r && int4range(1, 3))",
                "fts", "(misc.tv @@ to_tsquery('x'::text))",
                "dist", "(misc.p <-> point((0)::double precision, (0)::double precision))",
                "utc", "(misc.ts AT TIME ZONE 'UTC'::text)",
                "vc2", "(misc.vc)::character varying (20)",
                "ch2", "(misc.ch)::character (5)",
                "c1", "(misc.t)::\"char\"",
                "b4", "(misc.bits)::bit varying (4)",
                "ts3", "(misc.ts)::timestamp(3) with time zone",
                "a2", "ARRAY[ARRAY[1, 2], ARRAY[3, 4]]",
                "sl2", "misc.a[1 : 2]",
                "rn", "(ROW(misc.i, misc.t) IS NULL)",
                "cs", "CASE misc.i WHEN 1 THEN 'one'::text ELSE 'other'::text END",
                "nt", "(misc.bo IS NOT TRUE)",
                "unk", "(misc.bo IS UNKNOWN)",
                "logic", "((((misc.i % 2) = 0) AND (NOT misc.bo)) OR (misc.i > 3))",
                "bs", "'a\\b'::text",
                "cat", "((misc.t || 'x'::text) || misc.i)",
                "j0", "(misc.j -> 0)",
                "jab", "((misc.j -> 'a'::text) ->> 'b'::text)",
                "anya", "(misc.i = ANY(misc.a))",
                "alla", "(misc.i <> ALL(misc.a))",
                "mi", "make_interval(days => 3)",
                "redigit", "(misc.t ~ '\\d+'::text)"), outputs);
    }

    @Test
    void literalsJsqlparserWouldMisreadAreKeptVerbatim() throws Exception {
        // SELECT t || 'a\''' AS x, t = E'tab\there' AS y, 'x' || 'x' AS z FROM misc WHERE t <> 'a\'''
        // (PostgreSQL prints E'tab\there' as a plain literal holding a real tab.)
        Project project = parse("""
                SELECT (t || 'a\\'''::text) AS x,
                    (t = 'tab\there'::text) AS y,
                    ('x'::text || 'x'::text) AS z
                   FROM public.misc
                  WHERE (t <> 'a\\'''::text)""");
        assertEquals(expected("x", "(misc.t || 'a\\'''::text)", "y", "(misc.t = 'tab\there'::text)",
                "z", "('x'::text || 'x'::text)"), outputs(project));
        assertEquals("(misc.t <> 'a\\'''::text)", ((Filter) project.input()).condition().sql());
    }

    @Test
    void escapeStringLiteralIsKeptVerbatim() throws Exception {
        // Hand-written: PostgreSQL with standard_conforming_strings never prints E'...'.
        Map<String, String> outputs = outputs("SELECT (t || E'it\\'s\\n') AS x FROM public.misc");
        assertEquals(expected("x", "(misc.t || E'it\\'s\\n')"), outputs);
    }
}
