package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Source;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The relations of the scratch database the canonical samples were captured from (PostgreSQL 18):
 *
 * <pre>
 * CREATE TABLE public.emp(id int PRIMARY KEY, name text, dept_id int, salary numeric, hired date,
 *                         tags text[], data jsonb, "Mixed Case" int);
 * CREATE TABLE public.dept(id int PRIMARY KEY, name text, region_id int);
 * CREATE TABLE public.region(id int PRIMARY KEY, name text);
 * CREATE TABLE sales.orders(id bigint PRIMARY KEY, customer text, amount numeric(12,2),
 *                           created_at timestamptz, emp_id int);
 * CREATE TABLE public.dept_totals(__pgt_row_id bigint, dept_id int, total numeric); -- a stream table
 * CREATE TABLE public.misc(i int, b bigint, t text, vc varchar(10), ch char(3), ts timestamptz,
 *                          j jsonb, a int[], bits bit varying(8), f float8, r int4range,
 *                          tv tsvector, bo boolean, p point, x xml);
 * CREATE VIEW public.high_paid AS SELECT id, name, dept_id FROM public.emp WHERE salary > 100000;
 * CREATE VIEW public.high_paid_names AS SELECT h.name FROM public.high_paid h;
 * CREATE AGGREGATE public.my_sum(numeric) (sfunc = numeric_add, stype = numeric);
 * CREATE TEMP TABLE tt(a int);
 * CREATE SCHEMA "a.b"; CREATE TABLE "a.b"."c.d"(id int, "x.y" int, "w.v" int);
 * CREATE TABLE public.staff(id int, dept_id int, salary numeric); CREATE INDEX ON public.staff (dept_id);
 * </pre>
 */
final class FakeCatalog implements RelationCatalog {

    static final Source EMP = keyed(16001, "public", "emp", "id", "name", "dept_id", "salary", "hired", "tags",
            "data", "Mixed Case");
    static final Source DEPT = keyed(16002, "public", "dept", "id", "name", "region_id");
    static final Source REGION = keyed(16003, "public", "region", "id", "name");
    static final Source ORDERS = keyed(16004, "sales", "orders", "id", "customer", "amount", "created_at", "emp_id");
    static final Source DEPT_TOTALS = new Source(16005, "public", "dept_totals", Source.Kind.STREAM_TABLE,
            List.of("dept_id", "total"));
    static final Source MISC = table(16006, "public", "misc", "i", "b", "t", "vc", "ch", "ts", "j", "a", "bits",
            "f", "r", "tv", "bo", "p", "x");
    static final Source TEMP = table(16007, "pg_temp_3", "tt", "a");
    static final Source DOTTED = table(16008, "a.b", "c.d", "id", "x.y", "w.v");
    static final Source STAFF = new Source(16009, "public", "staff", Source.Kind.TABLE, List.of("id", "dept_id", "salary"),
            Set.of("dept_id"));

    /** pg_get_viewdef of public.high_paid, as PostgreSQL 18 prints it. */
    static final String HIGH_PAID = """
            SELECT id,
                name,
                dept_id
               FROM public.emp
              WHERE (salary > (100000)::numeric)""";

    private final Map<String, Relation> relations = new HashMap<>();
    private final Set<String> aggregates = new HashSet<>(Set.of("public.my_sum"));
    private final List<String> lookups = new java.util.ArrayList<>();

    FakeCatalog() {
        for (Source source : List.of(EMP, DEPT, REGION, ORDERS, DEPT_TOTALS, MISC, DOTTED, STAFF)) {
            relations.put(source.schema() + "." + source.name(), new Relation.SourceTable(source));
        }
        relations.put("tt", new Relation.SourceTable(TEMP));
        relations.put("public.high_paid", new Relation.View("public", "high_paid", HIGH_PAID));
        relations.put("public.high_paid_names", new Relation.View("public", "high_paid_names", """
                SELECT name
                   FROM public.high_paid h"""));
    }

    /** A table whose first column is its primary key; its integer keys (id, x_id) and names hash. */
    private static Source keyed(long oid, String schema, String name, String... columns) {
        Map<String, String> hashTypes = new HashMap<>();
        for (String column : columns) {
            if (column.equals("id") || column.endsWith("_id")) {
                hashTypes.put(column, "bigint");
            } else if (column.equals("name")) {
                hashTypes.put(column, "text");
            }
        }
        return new Source(oid, schema, name, Source.Kind.TABLE, List.of(columns), Set.of(columns[0]), Set.of(),
                List.of(List.of(columns[0])), Set.of(columns[0]), hashTypes);
    }

    private static Source table(long oid, String schema, String name, String... columns) {
        return new Source(oid, schema, name, Source.Kind.TABLE, List.of(columns));
    }

    /** The names looked up so far, qualified as asked. */
    List<String> lookups() {
        return lookups;
    }

    @Override
    public Relation resolve(String schema, String name) throws UnsupportedQueryException {
        String key = schema == null ? name : schema + "." + name;
        lookups.add(key);
        if (schema == null && name.startsWith("pg_")) {
            throw new UnsupportedQueryException(key,
                    "system catalogs have no change capture and cannot be refreshed differentially");
        }
        Relation relation = relations.get(key);
        if (relation == null) {
            throw new UnsupportedQueryException(key, "relation not found");
        }
        return relation;
    }

    @Override
    public boolean isAggregate(String schema, String function) {
        return aggregates.contains(schema + "." + function);
    }
}
