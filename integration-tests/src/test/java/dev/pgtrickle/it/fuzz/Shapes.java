package dev.pgtrickle.it.fuzz;

import static dev.pgtrickle.it.fuzz.StreamTableDef.grouped;
import static dev.pgtrickle.it.fuzz.StreamTableDef.plain;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The catalogue of query shapes: the constructs differential refresh supports (filters,
 * projections, inner and outer joins, EXISTS / IN and their negations, COUNT/SUM/AVG, HAVING, DISTINCT, UNION ALL, subqueries and views in
 * FROM, stream tables as sources), each written over the random schema of {@link FuzzSchema}.
 * A shape yields one stream table, or a chain of them in creation order.
 */
final class Shapes {

    /** Builds a shape's stream tables over a schema. */
    @FunctionalInterface
    interface Definer {
        List<StreamTableDef> define(Context c);
    }

    /**
     * A query shape.
     *
     * @param tables how many source tables it needs at least
     */
    record Shape(String name, int tables, Definer definer) {

        @Override
        public String toString() {
            return name;
        }
    }

    /** What a shape sees while it is defined: names, randomness, extra DDL (views). */
    static final class Context {
        final FuzzSchema schema;
        final String prefix;
        final Random random;
        final List<String> setup = new ArrayList<>();

        Context(FuzzSchema schema, String prefix, Random random) {
            this.schema = schema;
            this.prefix = prefix;
            this.random = random;
        }

        /** The qualified name of source table {@code t<index>}. */
        String t(int index) {
            return schema.table(index).qualified();
        }

        /** The qualified name of one of the shape's stream tables. */
        String st(String name) {
            return schema.qualified(prefix + name);
        }

        /** Creates a view (before the stream tables) and returns its qualified name. */
        String view(String name, String query) {
            String qualified = schema.qualified(prefix + name);
            setup.add("CREATE VIEW " + qualified + " AS " + query);
            return qualified;
        }

        int small() {
            return random.nextInt(5);
        }
    }

    /**
     * Float sums: PostgreSQL's own sum depends on the order it reads the rows in, so a group
     * recomputed by the differential refresh (GROUP_RESCAN) and the same group computed by the
     * oracle's query may differ in the last bits although both are right. The oracle therefore
     * compares float sums rounded to 6 decimals (the values are tenths, so an exact sum is far
     * from any rounding boundary), and float averages as average x count, rounded likewise
     * (an average itself may sit on a rounding boundary).
     */
    private static final String ROUNDED_SUM = "round(%s::numeric, 6)";
    private static final String ROUNDED_AVG = "round((%s * %s)::numeric, 6)";

    private Shapes() {
    }

    static List<Shape> all() {
        List<Shape> shapes = new ArrayList<>();

        // ---------------------------------------------------------------- filters and projections
        shapes.add(new Shape("filter_project_expressions", 1, c -> List.of(plain(c.st("fp"),
                "SELECT a.id, a.k, a.v * 2 + 1 AS v2,"
                        + " CASE WHEN a.v > " + c.small() + " THEN 'hi' WHEN a.v IS NULL THEN 'none' ELSE 'lo' END AS band,"
                        + " COALESCE(a.g, '?') AS g, a.n IS NULL AS n_missing, a.b"
                        + " FROM " + c.t(1) + " a WHERE a.v IS NOT NULL OR a.g = 'a'", 1))));
        shapes.add(new Shape("filter_null_tests", 1, c -> List.of(plain(c.st("fn"),
                "SELECT a.g, a.n, a.b FROM " + c.t(1) + " a"
                        + " WHERE (a.k IS NULL OR a.n > 1.5) AND a.g IS DISTINCT FROM 'b'", 1))));
        shapes.add(new Shape("filter_like_in_between", 1, c -> List.of(plain(c.st("fl"),
                "SELECT a.id, a.g, a.v, a.f FROM " + c.t(1) + " a"
                        + " WHERE a.g LIKE 'a%' OR a.v BETWEEN 2 AND 5 OR a.k IN (0, 2)", 1))));
        shapes.add(new Shape("project_star", 1, c -> List.of(plain(c.st("ps"),
                "SELECT * FROM " + c.t(1), 1))));

        // ---------------------------------------------------------------- inner joins
        shapes.add(new Shape("join2_on", 2, c -> List.of(plain(c.st("j2"),
                "SELECT a.id, a.k, a.v, b.g, b.n FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k", 1, 2))));
        shapes.add(new Shape("join2_comma_where", 2, c -> List.of(plain(c.st("j2c"),
                "SELECT a.v, b.v AS bv, a.g FROM " + c.t(1) + " a, " + c.t(2) + " b"
                        + " WHERE a.k = b.k AND a.g = b.g AND a.v IS NOT NULL", 1, 2))));
        shapes.add(new Shape("join2_non_equi", 2, c -> List.of(plain(c.st("j2n"),
                "SELECT a.k, b.k AS bk, a.v, b.v AS bv FROM " + c.t(1) + " a JOIN " + c.t(2) + " b"
                        + " ON a.v < b.v - " + c.small() + " AND a.g <> b.g", 1, 2))));
        shapes.add(new Shape("join3_on", 3, c -> List.of(plain(c.st("j3"),
                "SELECT a.k, b.g, c.v, c.n FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k"
                        + " JOIN " + c.t(3) + " c ON b.g = c.g", 1, 2, 3))));
        shapes.add(new Shape("join3_comma_non_equi", 3, c -> List.of(plain(c.st("j3c"),
                "SELECT a.id, b.id AS bid, c.id AS cid, a.v FROM " + c.t(1) + " a, " + c.t(2) + " b, " + c.t(3) + " c"
                        + " WHERE a.k = b.k AND b.k = c.k AND a.v <= c.v", 1, 2, 3))));
        shapes.add(new Shape("self_join", 1, c -> List.of(plain(c.st("sj"),
                "SELECT a.id, a.v, b.v AS v2 FROM " + c.t(1) + " a JOIN " + c.t(1) + " b"
                        + " ON a.k = b.k AND a.g <> b.g", 1))));

        // Joined on the other table's id: where both ids are primary keys, the result's key is
        // a.id and an update of b is an update in place (KEYED); otherwise rows by content.
        shapes.add(new Shape("keyed_join_on_primary_key", 2, c -> List.of(plain(c.st("kj"),
                "SELECT a.id, a.v, a.g, b.g AS bg, b.v AS bv FROM " + c.t(1) + " a JOIN " + c.t(2) + " b"
                        + " ON b.id = a.k", 1, 2))));
        shapes.add(new Shape("keyed_left_join_on_primary_key", 2, c -> List.of(plain(c.st("klj"),
                "SELECT b.n, a.id, b.v AS bv FROM " + c.t(1) + " a LEFT JOIN " + c.t(2) + " b"
                        + " ON b.id = a.k AND b.g IS NOT NULL", 1, 2))));

        // ---------------------------------------------------------------- outer joins
        shapes.add(new Shape("left_join", 2, c -> List.of(plain(c.st("lj"),
                "SELECT a.id, a.k, b.g, b.v FROM " + c.t(1) + " a LEFT JOIN " + c.t(2) + " b ON a.k = b.k", 1, 2))));
        shapes.add(new Shape("right_join_two_columns", 2, c -> List.of(plain(c.st("rj"),
                "SELECT a.v, b.id, b.g FROM " + c.t(1) + " a RIGHT JOIN " + c.t(2) + " b"
                        + " ON a.k = b.k AND a.g = b.g", 1, 2))));
        shapes.add(new Shape("full_join", 2, c -> List.of(plain(c.st("fj"),
                "SELECT a.id, b.id AS bid, a.k, b.k AS bk, b.n FROM " + c.t(1) + " a FULL JOIN " + c.t(2) + " b"
                        + " ON a.k = b.k", 1, 2))));
        shapes.add(new Shape("full_join_using", 2, c -> List.of(plain(c.st("fju"),
                "SELECT k, a.id, b.id AS bid, b.n FROM " + c.t(1) + " a FULL JOIN " + c.t(2) + " b USING (k)", 1, 2))));
        shapes.add(new Shape("full_join_using_grouped", 2, c -> List.of(grouped(c.st("fjg"),
                "SELECT k, count(*) AS c, count(a.id) AS ca, sum(b.v) AS sv FROM " + c.t(1) + " a"
                        + " FULL JOIN " + c.t(2) + " b USING (k) WHERE k IS DISTINCT FROM 3 GROUP BY k", 1, 2))));
        shapes.add(new Shape("left_join_non_equi_filtered", 2, c -> List.of(plain(c.st("ljn"),
                "SELECT a.id, a.v, b.v AS bv FROM " + c.t(1) + " a LEFT JOIN " + c.t(2) + " b"
                        + " ON a.v < b.v AND b.g <> 'c' WHERE a.g IS NOT NULL", 1, 2))));
        shapes.add(new Shape("left_join_unmatched_only", 2, c -> List.of(plain(c.st("lju"),
                "SELECT a.id, a.k FROM " + c.t(1) + " a LEFT JOIN " + c.t(2) + " b ON a.k = b.k"
                        + " WHERE b.id IS NULL", 1, 2))));
        shapes.add(new Shape("two_left_joins", 3, c -> List.of(plain(c.st("lj2"),
                "SELECT a.id, b.g, c.v FROM " + c.t(1) + " a LEFT JOIN " + c.t(2) + " b ON a.k = b.k"
                        + " LEFT JOIN " + c.t(3) + " c ON b.g = c.g", 1, 2, 3))));
        shapes.add(new Shape("inner_then_left_join", 3, c -> List.of(plain(c.st("ilj"),
                "SELECT a.id, b.v, c.n FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k"
                        + " LEFT JOIN " + c.t(3) + " c ON c.g = a.g AND c.v > b.v", 1, 2, 3))));
        shapes.add(new Shape("left_join_grouped", 2, c -> List.of(grouped(c.st("ljg"),
                "SELECT a.g, count(*) AS c, count(b.id) AS cb, sum(b.v) AS sv FROM " + c.t(1) + " a"
                        + " LEFT JOIN " + c.t(2) + " b ON a.k = b.k GROUP BY a.g", 1, 2))));
        shapes.add(new Shape("chain_over_left_join", 2, c -> List.of(
                plain(c.st("cl"), "SELECT a.k, a.v, b.g FROM " + c.t(1) + " a LEFT JOIN " + c.t(2) + " b"
                        + " ON a.k = b.k AND b.v > 1", 1, 2),
                grouped(c.st("cm"), "SELECT x.g, count(*) AS c, sum(x.v) AS sv FROM " + c.st("cl") + " x"
                        + " GROUP BY x.g"))));

        // ---------------------------------------------------------------- EXISTS, IN and their negations
        shapes.add(new Shape("exists_correlated", 2, c -> List.of(plain(c.st("ex"),
                "SELECT a.id, a.g FROM " + c.t(1) + " a WHERE EXISTS (SELECT 1 FROM " + c.t(2) + " b"
                        + " WHERE b.k = a.k AND b.v > " + c.small() + ")", 1, 2))));
        shapes.add(new Shape("sibling_subqueries_one_alias", 2, c -> List.of(plain(c.st("soa"),
                "SELECT a.id, a.g FROM " + c.t(1) + " a WHERE EXISTS (SELECT 1 FROM " + c.t(2) + " x"
                        + " WHERE x.k = a.k AND x.v > " + c.small() + ") AND NOT EXISTS (SELECT 1 FROM " + c.t(2) + " x"
                        + " WHERE x.k = a.k AND x.g = a.g)", 1, 2))));
        shapes.add(new Shape("not_exists", 2, c -> List.of(plain(c.st("nex"),
                "SELECT a.id, a.k, a.v FROM " + c.t(1) + " a WHERE a.v IS NOT NULL AND NOT EXISTS"
                        + " (SELECT 1 FROM " + c.t(2) + " b WHERE b.k = a.k AND b.g = a.g)", 1, 2))));
        shapes.add(new Shape("in_subquery", 2, c -> List.of(plain(c.st("in"),
                "SELECT a.id, a.v FROM " + c.t(1) + " a WHERE a.k IN (SELECT b.k FROM " + c.t(2) + " b"
                        + " WHERE b.g <> 'a')", 1, 2))));
        shapes.add(new Shape("in_two_columns", 2, c -> List.of(plain(c.st("in2"),
                "SELECT a.id, a.v FROM " + c.t(1) + " a WHERE (a.k, a.g) IN (SELECT b.k, b.g FROM " + c.t(2) + " b"
                        + " WHERE b.v > 0)", 1, 2))));
        shapes.add(new Shape("in_two_columns_grouped", 2, c -> List.of(plain(c.st("in2g"),
                "SELECT a.id, a.g FROM " + c.t(1) + " a WHERE (a.g, a.k) IN (SELECT b.g, b.k FROM " + c.t(2) + " b"
                        + " GROUP BY b.g, b.k HAVING count(*) > 1)", 1, 2))));
        shapes.add(new Shape("not_in_with_nulls", 2, c -> List.of(plain(c.st("nin"),
                "SELECT a.id, a.k FROM " + c.t(1) + " a WHERE a.v NOT IN (SELECT b.v FROM " + c.t(2) + " b"
                        + " WHERE b.g = 'a')", 1, 2))));
        shapes.add(new Shape("exists_under_or", 2, c -> List.of(plain(c.st("exo"),
                "SELECT a.id, a.v FROM " + c.t(1) + " a WHERE a.v > 5 OR EXISTS (SELECT 1 FROM " + c.t(2) + " b"
                        + " WHERE b.k = a.k AND b.g <> 'a')", 1, 2))));
        shapes.add(new Shape("or_across_join", 2, c -> List.of(plain(c.st("oaj"),
                "SELECT a.id, b.id AS bid, a.v FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k"
                        + " WHERE (a.g = 'a' AND b.v > 3) OR (a.g = 'b' AND b.v IS NULL) OR (a.v < 2 AND b.g = 'c')",
                1, 2))));
        shapes.add(new Shape("or_with_shared_key", 3, c -> List.of(grouped(c.st("osk"),
                "SELECT b.g, count(*) AS n, sum(a.v) AS s FROM " + c.t(1) + " a, " + c.t(2) + " b, " + c.t(3) + " x"
                        + " WHERE x.k = a.k AND ((a.k = b.k AND b.g = 'a' AND x.g = 'b') OR (a.k = b.k AND b.g = 'b'"
                        + " AND x.g = 'a') OR (a.k = b.k AND a.v > 5)) GROUP BY b.g", 1, 2, 3))));
        shapes.add(new Shape("not_exists_in_select", 2, c -> List.of(plain(c.st("nes"),
                "SELECT a.id, NOT EXISTS (SELECT 1 FROM " + c.t(2) + " b WHERE b.g = a.g) AS lonely FROM " + c.t(1) + " a",
                1, 2))));
        shapes.add(new Shape("in_under_or", 2, c -> List.of(plain(c.st("ino"),
                "SELECT a.id, a.v FROM " + c.t(1) + " a WHERE a.v > 5 OR a.k IN (SELECT b.k FROM " + c.t(2) + " b"
                        + " WHERE b.g <> 'a')", 1, 2))));
        shapes.add(new Shape("not_in_in_select", 2, c -> List.of(plain(c.st("nis"),
                "SELECT a.id, a.v NOT IN (SELECT b.v FROM " + c.t(2) + " b WHERE b.g = a.g) AS outside FROM " + c.t(1) + " a",
                1, 2))));
        shapes.add(new Shape("exists_grouped", 2, c -> List.of(grouped(c.st("exg"),
                "SELECT a.g, count(*) AS c, sum(a.v) AS sv FROM " + c.t(1) + " a WHERE EXISTS"
                        + " (SELECT 1 FROM " + c.t(2) + " b WHERE b.k = a.k) GROUP BY a.g", 1, 2))));
        shapes.add(new Shape("not_exists_over_join", 3, c -> List.of(plain(c.st("nej"),
                "SELECT a.id, b.id AS bid, a.v FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k"
                        + " WHERE NOT EXISTS (SELECT 1 FROM " + c.t(3) + " c WHERE c.g = b.g AND c.v > a.v)", 1, 2, 3))));
        shapes.add(new Shape("subqueries_inside_in_subquery", 3, c -> List.of(plain(c.st("q20"),
                "SELECT a.id, a.g FROM " + c.t(1) + " a WHERE a.k IN (SELECT b.k FROM " + c.t(2) + " b"
                        + " WHERE b.g IN (SELECT c.g FROM " + c.t(3) + " c WHERE c.v > " + c.small() + ")"
                        + " AND b.v > (SELECT 0.5 * sum(c2.v) FROM " + c.t(3) + " c2 WHERE c2.k = b.k))", 1, 2, 3))));
        shapes.add(new Shape("exists_inside_not_exists", 3, c -> List.of(plain(c.st("een"),
                "SELECT a.id, a.v FROM " + c.t(1) + " a WHERE NOT EXISTS (SELECT 1 FROM " + c.t(2) + " b"
                        + " WHERE b.k = a.k AND EXISTS (SELECT 1 FROM " + c.t(3) + " c WHERE c.g = b.g AND c.n > b.n))",
                1, 2, 3))));
        // PostgreSQL expands EXISTS (SELECT * ...) to every column; the list reads nothing, so the
        // subquery's table is pruned to its key and merged (updates of f and b cancel).
        shapes.add(new Shape("exists_select_star", 2, c -> List.of(plain(c.st("exs"),
                "SELECT a.id, a.g, NOT EXISTS (SELECT b.* FROM " + c.t(2) + " b WHERE b.g = a.g) AS lonely FROM "
                        + c.t(1) + " a WHERE EXISTS (SELECT * FROM " + c.t(2) + " b WHERE b.k = a.k)"
                        + " AND NOT EXISTS (SELECT * FROM " + c.t(2) + " b2 WHERE b2.v = a.v AND b2.g IS NULL)", 1, 2))));
        // TPC-H Q21's tests: matches on a key besides an inequality, read per changed key.
        shapes.add(new Shape("exists_on_key_with_inequality", 2, c -> List.of(grouped(c.st("eki"),
                "SELECT a.g, count(*) AS c FROM " + c.t(1) + " a WHERE EXISTS (SELECT 1 FROM " + c.t(2) + " b"
                        + " WHERE b.k = a.k AND b.g <> a.g) AND NOT EXISTS (SELECT 1 FROM " + c.t(2) + " b2"
                        + " WHERE b2.k = a.k AND b2.g <> a.g AND b2.v > " + c.small() + ") GROUP BY a.g", 1, 2))));
        shapes.add(new Shape("greatest_per_group_self_anti_join", 1, c -> List.of(plain(c.st("gpg"),
                "SELECT a.k, a.v, a.id FROM " + c.t(1) + " a WHERE NOT EXISTS (SELECT 1 FROM " + c.t(1) + " a2"
                        + " WHERE a2.k = a.k AND a2.v > a.v)", 1))));

        // ---------------------------------------------------------------- aggregates inside the query
        shapes.add(new Shape("join_with_grouped_subquery", 2, c -> List.of(plain(c.st("jgs"),
                "SELECT b.id, b.g, s.sv, s.c, s.an FROM " + c.t(2) + " b JOIN (SELECT a.k, sum(a.v) AS sv, count(*) AS c,"
                        + " avg(a.n) AS an FROM " + c.t(1) + " a GROUP BY a.k) s ON s.k = b.k", 1, 2))));
        shapes.add(new Shape("left_join_grouped_subquery_having", 2, c -> List.of(plain(c.st("lgh"),
                "SELECT b.id, s.c, s.sn FROM " + c.t(2) + " b LEFT JOIN (SELECT a.g, count(*) AS c, sum(a.n) AS sn"
                        + " FROM " + c.t(1) + " a GROUP BY a.g HAVING count(*) > 1) s ON s.g = b.g", 1, 2))));
        shapes.add(new Shape("distinct_subquery_joined", 2, c -> List.of(plain(c.st("dsj"),
                "SELECT b.id, d.g FROM " + c.t(2) + " b JOIN (SELECT DISTINCT a.k, a.g FROM " + c.t(1) + " a) d"
                        + " ON d.k = b.k", 1, 2))));
        shapes.add(new Shape("in_grouped_subquery", 2, c -> List.of(plain(c.st("igs"),
                "SELECT a.id, a.k FROM " + c.t(1) + " a WHERE a.k IN (SELECT b.k FROM " + c.t(2) + " b"
                        + " GROUP BY b.k HAVING sum(b.v) > " + c.small() + ")", 1, 2))));
        shapes.add(new Shape("not_in_grouped_subquery_correlated_free", 2, c -> List.of(plain(c.st("nig"),
                "SELECT a.id, a.k FROM " + c.t(1) + " a WHERE a.k NOT IN (SELECT b.k FROM " + c.t(2) + " b"
                        + " GROUP BY b.k HAVING count(*) > 1)", 1, 2))));
        // Row-wise NOT IN: a member with a NULL column blocks every row equal in the others.
        shapes.add(new Shape("not_in_two_columns", 2, c -> List.of(plain(c.st("ni2"),
                "SELECT a.id, a.k, a.g FROM " + c.t(1) + " a WHERE (a.k, a.g) NOT IN (SELECT b.k, b.g FROM " + c.t(2) + " b"
                        + " WHERE b.v > 2)", 1, 2),
                plain(c.st("ni2c"), "SELECT a.id, a.g FROM " + c.t(1) + " a WHERE (a.g, a.v) NOT IN (SELECT b.g, b.v"
                        + " FROM " + c.t(2) + " b WHERE b.k = a.k)", 1, 2))));
        // IN, NOT IN and EXISTS under OR or in the SELECT list over groupings (read as derived tables).
        shapes.add(new Shape("grouped_subqueries_inside_expressions", 2, c -> List.of(plain(c.st("gse"),
                "SELECT a.id, a.k, EXISTS (SELECT 1 FROM " + c.t(2) + " b2 WHERE b2.v > 1 GROUP BY b2.g"
                        + " HAVING count(*) > 2) AS many FROM " + c.t(1) + " a WHERE a.k IN (SELECT b.k FROM " + c.t(2) + " b"
                        + " GROUP BY b.k HAVING sum(b.v) > 3) OR a.g NOT IN (SELECT DISTINCT b3.g FROM " + c.t(2) + " b3)"
                        + " OR a.v < 2", 1, 2))));
        shapes.add(new Shape("not_in_correlated", 2, c -> List.of(plain(c.st("nic"),
                "SELECT a.id, a.v FROM " + c.t(1) + " a WHERE a.v NOT IN (SELECT b.v FROM " + c.t(2) + " b"
                        + " WHERE b.g = a.g)", 1, 2))));
        shapes.add(new Shape("scalar_subquery_in_where", 2, c -> List.of(plain(c.st("ssw"),
                "SELECT a.id, a.v FROM " + c.t(1) + " a WHERE a.v > (SELECT avg(b.v) FROM " + c.t(2) + " b"
                        + " WHERE b.g <> 'c')", 1, 2))));
        // The threshold moves with the rows it tests (TPC-H Q22's shape), under OR and beside an anti join.
        shapes.add(new Shape("scalar_threshold_same_table", 1, c -> List.of(plain(c.st("sst"),
                "SELECT a.id, a.v, a.g FROM " + c.t(1) + " a WHERE a.v >= (SELECT avg(a2.v) FROM " + c.t(1) + " a2)", 1))));
        // The tested rows are kept in a copy (unindexed column): numerics equal but spelled apart
        // (1.0, 1.00) and duplicates must come back as they are.
        shapes.add(new Shape("scalar_threshold_numeric_kept", 2, c -> List.of(plain(c.st("stn"),
                "SELECT a.k, a.n, a.g FROM " + c.t(1) + " a WHERE a.g <> 'c' AND a.n <= (SELECT avg(b.n) FROM "
                        + c.t(2) + " b WHERE b.v > 0)", 1, 2))));
        // A threshold on k: where the table has an index on k, it serves both bounds of a moved
        // threshold (a pair of values or one); without one, the rows are kept in a copy.
        shapes.add(new Shape("scalar_threshold_on_index", 2, c -> List.of(plain(c.st("sti"),
                "SELECT a.id, a.k, a.g FROM " + c.t(1) + " a WHERE a.k > (SELECT sum(b.k) / 8 FROM " + c.t(2) + " b"
                        + " WHERE b.v > 0)", 1, 2))));
        shapes.add(new Shape("scalar_threshold_q22_like", 2, c -> List.of(grouped(c.st("q22"),
                "SELECT a.g, count(*) AS c, sum(a.v) AS s FROM " + c.t(1) + " a"
                        + " WHERE (a.v > (SELECT avg(a2.v) FROM " + c.t(1) + " a2 WHERE a2.v > 0) OR a.n IS NULL)"
                        + " AND NOT EXISTS (SELECT 1 FROM " + c.t(2) + " b WHERE b.k = a.k) GROUP BY a.g", 1, 2))));
        shapes.add(new Shape("scalar_subquery_in_select", 2, c -> List.of(plain(c.st("sss"),
                "SELECT a.id, a.k, (SELECT count(*) FROM " + c.t(2) + " b WHERE b.v IS NOT NULL) AS total,"
                        + " (SELECT sum(b.n) FROM " + c.t(2) + " b) AS sn FROM " + c.t(1) + " a", 1, 2))));
        shapes.add(new Shape("correlated_scalar_subquery_in_where", 2, c -> List.of(plain(c.st("csw"),
                "SELECT a.id, a.v FROM " + c.t(1) + " a WHERE a.v < (SELECT avg(b.v) FROM " + c.t(2) + " b"
                        + " WHERE b.k = a.k AND b.g <> 'c')", 1, 2))));
        shapes.add(new Shape("correlated_scalar_subquery_in_select", 2, c -> List.of(plain(c.st("css"),
                "SELECT a.id, (SELECT sum(b.n) * 2 FROM " + c.t(2) + " b WHERE b.k = a.k AND b.g = a.g) AS sn"
                        + " FROM " + c.t(1) + " a", 1, 2))));
        shapes.add(new Shape("correlated_count_in_select", 2, c -> List.of(plain(c.st("ccs"),
                "SELECT a.id, (SELECT count(*) FROM " + c.t(2) + " b WHERE b.k = a.k) AS n,"
                        + " (SELECT count(b.v) + coalesce(sum(b.v), -1) FROM " + c.t(2) + " b WHERE b.g = a.g) AS m"
                        + " FROM " + c.t(1) + " a", 1, 2))));
        shapes.add(new Shape("correlated_count_in_where", 2, c -> List.of(grouped(c.st("ccw"),
                "SELECT a.g, count(*) AS c FROM " + c.t(1) + " a"
                        + " WHERE (SELECT count(b.id) FROM " + c.t(2) + " b WHERE b.k = a.k AND b.v > 0) < 2 GROUP BY a.g", 1, 2))));
        shapes.add(new Shape("correlated_scalar_q17_like", 2, c -> List.of(plain(c.st("q17"),
                "SELECT sum(a.v) AS s, count(*) AS c FROM " + c.t(1) + " a, " + c.t(2) + " b WHERE a.k = b.k AND b.g <> 'b'"
                        + " AND a.v < (SELECT 0.5 * avg(a2.v) FROM " + c.t(1) + " a2 WHERE a2.k = b.k)", 1, 2))));
        shapes.add(new Shape("scalar_subquery_in_having", 2, c -> List.of(grouped(c.st("ssh"),
                "SELECT a.g, sum(a.v) AS sv FROM " + c.t(1) + " a GROUP BY a.g"
                        + " HAVING sum(a.v) > (SELECT avg(b.v) FROM " + c.t(2) + " b)", 1, 2))));

        // TPC-H Q11's shape: groups against a share of the total of the same rows, a numeric without
        // a declared scale; and a threshold written first, compared with <=.
        shapes.add(new Shape("having_share_of_total", 1, c -> List.of(grouped(c.st("hst"),
                "SELECT a.k, sum(a.n) AS sn, count(*) AS c FROM " + c.t(1) + " a GROUP BY a.k"
                        + " HAVING sum(a.n) > (SELECT sum(a2.n) * 0.05 FROM " + c.t(1) + " a2) AND count(*) > 0", 1))));
        // The kept groups' key and row count are columns, indexed for the threshold's bounds.
        shapes.add(new Shape("having_key_and_count_thresholds", 2, c -> List.of(
                grouped(c.st("hkk"), "SELECT a.k, count(*) AS c, sum(a.v) AS s FROM " + c.t(1) + " a GROUP BY a.k"
                        + " HAVING a.k >= (SELECT sum(b.k) / 8 FROM " + c.t(2) + " b WHERE b.v > 0)", 1, 2),
                grouped(c.st("hkc"), "SELECT a.g, count(*) AS c FROM " + c.t(1) + " a GROUP BY a.g"
                        + " HAVING count(*) < (SELECT count(*) / 4 FROM " + c.t(2) + " b2)", 1, 2),
                // Two tables outside: every PostgreSQL version prints the columns qualified, so
                // the count's table is read for no column at all.
                grouped(c.st("hkj"), "SELECT a.g, count(*) AS c FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON b.k = a.k"
                        + " GROUP BY a.g HAVING count(*) > (SELECT count(*) / 4 FROM " + c.t(2) + " b2)", 1, 2))));
        shapes.add(new Shape("having_threshold_first", 2, c -> List.of(grouped(c.st("htf"),
                "SELECT a.g, count(*) AS c, avg(a.n) AS an FROM " + c.t(1) + " a GROUP BY a.g"
                        + " HAVING (SELECT avg(b.v) FROM " + c.t(2) + " b WHERE b.v > 0) <= count(*)", 1, 2))));

        // ---------------------------------------------------------------- GROUP BY
        shapes.add(new Shape("group_count", 1, c -> List.of(grouped(c.st("gc"),
                "SELECT a.g, count(*) AS c, count(a.v) AS cv, count(a.n) AS cn FROM " + c.t(1) + " a GROUP BY a.g", 1))));
        shapes.add(new Shape("group_sum_avg_int", 1, c -> List.of(grouped(c.st("gi"),
                "SELECT a.k, sum(a.v) AS sv, avg(a.v) AS av, count(*) AS c FROM " + c.t(1) + " a GROUP BY a.k", 1)
                .withStrategy("AGGREGATE"))));
        // Column n is a numeric without a declared scale: a sum's scale follows the rows summed
        // (values of 1, 2, 3 and 18 decimals), tracked per group beside the sum.
        shapes.add(new Shape("group_sum_avg_numeric", 1, c -> List.of(grouped(c.st("gn"),
                "SELECT a.g, sum(a.n) AS sn, avg(a.n) AS an, sum(a.b) AS sb, avg(a.b) AS ab, count(a.n) AS cn"
                        + " FROM " + c.t(1) + " a GROUP BY a.g", 1).withStrategy("AGGREGATE"))));
        shapes.add(new Shape("numeric_sums_over_join_and_global", 2, c -> List.of(
                grouped(c.st("gnj"), "SELECT b.g, sum(a.n * b.v) AS snv, avg(a.n + b.n) AS an2, count(*) AS c"
                        + " FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k GROUP BY b.g", 1, 2)
                        .withStrategy("AGGREGATE"),
                plain(c.st("gng"), "SELECT sum(a.n) AS sn, avg(a.n) AS an FROM " + c.t(1) + " a", 1)
                        .withStrategy("AGGREGATE"))));
        shapes.add(new Shape("group_aggregate_expressions", 1, c -> List.of(grouped(c.st("ge"),
                "SELECT a.g, COALESCE(sum(a.v), 0) AS sv0, sum(a.v) + count(*) AS sv_plus_c, count(*) * 2 AS c2,"
                        + " CASE WHEN count(*) > 2 THEN 'many' ELSE 'few' END AS size, sum(a.n) / count(*) AS mean_n"
                        + " FROM " + c.t(1) + " a GROUP BY a.g", 1))));
        shapes.add(new Shape("group_two_keys", 1, c -> List.of(grouped(c.st("g2"),
                "SELECT a.k, a.g, count(*) AS c, sum(a.v) AS sv FROM " + c.t(1) + " a GROUP BY a.k, a.g", 1))));
        shapes.add(new Shape("group_key_expression_not_selected", 1, c -> List.of(
                grouped(c.st("gx"), "SELECT sum(a.v) AS sv, count(*) AS c FROM " + c.t(1) + " a GROUP BY a.g", 1),
                grouped(c.st("gm"), "SELECT a.v % 3 AS m, count(*) AS c, avg(a.n) AS an FROM " + c.t(1) + " a"
                        + " GROUP BY (a.v % 3)", 1))));
        shapes.add(new Shape("grouped_subquery_by_expression", 1, c -> List.of(plain(c.st("gbe"),
                "SELECT s.m, s.c, s.sn FROM (SELECT a.v % 3 AS m, count(*) AS c, sum(a.n) AS sn FROM " + c.t(1) + " a"
                        + " GROUP BY (a.v % 3)) s WHERE s.c > 1", 1))));
        shapes.add(new Shape("grouping_of_grouping", 1, c -> List.of(plain(c.st("gog"),
                "SELECT x.k, x.c, x.t FROM (SELECT s.k, count(*) AS c, sum(s.sv) AS t FROM (SELECT a.k, a.g, sum(a.v) AS sv"
                        + " FROM " + c.t(1) + " a GROUP BY a.k, a.g) s GROUP BY s.k) x WHERE x.c > 1", 1))));
        shapes.add(new Shape("global_aggregate", 1, c -> List.of(plain(c.st("ga"),
                "SELECT count(*) AS c, sum(a.v) AS sv, avg(a.n) AS an, count(a.g) AS cg, sum(a.b) AS sb"
                        + " FROM " + c.t(1) + " a", 1))));
        shapes.add(new Shape("global_aggregate_filtered", 1, c -> List.of(plain(c.st("gf"),
                "SELECT count(*) AS c, COALESCE(sum(a.v), 0) AS sv, avg(a.v) AS av FROM " + c.t(1) + " a"
                        + " WHERE a.g = 'a'", 1))));

        // ---------------------------------------------------------------- other aggregates
        // Extremes of ints, numerics spelled with varying scale (1.0 = 1.00) and text; groups
        // whose extreme is deleted, global ones with FILTER.
        shapes.add(new Shape("group_min_max", 1, c -> List.of(
                grouped(c.st("mm"), "SELECT a.g, min(a.v) AS lo, max(a.v) AS hi, min(a.n) AS ln, max(a.k) AS hk,"
                        + " count(*) AS c FROM " + c.t(1) + " a GROUP BY a.g", 1).withStrategy("AGGREGATE"),
                plain(c.st("mmg"), "SELECT max(a.g) AS hg, min(a.v) FILTER (WHERE a.g <> 'a') AS lo,"
                        + " max(a.b) AS hb FROM " + c.t(1) + " a", 1).withStrategy("AGGREGATE"))));
        shapes.add(new Shape("group_filtered_aggregates", 1, c -> List.of(grouped(c.st("fa"),
                "SELECT a.k, count(*) FILTER (WHERE a.v > 2) AS big, sum(a.v) FILTER (WHERE a.g <> 'a') AS sv,"
                        + " avg(a.n) FILTER (WHERE a.v IS NOT NULL) AS an, max(a.v) FILTER (WHERE a.n > 1) AS hv,"
                        + " count(*) AS c FROM " + c.t(1) + " a GROUP BY a.k", 1).withStrategy("AGGREGATE"))));
        // Recomputed over the touched groups; every order-dependent call has a total order (ties
        // are equal values), so the oracle's query computes the same text.
        shapes.add(new Shape("group_recomputed_aggregates", 1, c -> List.of(grouped(c.st("ra"),
                "SELECT a.g, string_agg(a.g, ',' ORDER BY a.g) AS sg, array_agg(a.v ORDER BY a.v) AS av,"
                        + " jsonb_agg(a.v ORDER BY a.v) AS jv, jsonb_object_agg(a.id::text, a.v ORDER BY a.id, a.v) AS jo,"
                        + " bool_and(a.v > 2) AS ba, bool_or(a.g = 'a') AS bo, every(a.n IS NULL) AS en,"
                        + " bit_and(a.b) AS bb, bit_or(a.v) AS bv, stddev(a.v) AS sd, var_pop(a.n) AS vn,"
                        + " count(DISTINCT a.v) AS dv, sum(DISTINCT a.v) FILTER (WHERE a.v > 1) AS sdv,"
                        + " string_agg(DISTINCT a.g, '|') AS dg FROM " + c.t(1) + " a GROUP BY a.g", 1))));
        // Distinct counts, sums and averages of one value from per-value counts: values appearing
        // in and leaving groups, NULL values, numerics of varying scale counted as one value.
        shapes.add(new Shape("group_distinct_values", 2, c -> List.of(
                grouped(c.st("dc"), "SELECT a.g, count(*) AS c, count(DISTINCT a.v) AS dv, sum(DISTINCT a.v) AS sv,"
                        + " avg(DISTINCT a.v) AS av, count(a.n) AS cn, min(a.v) AS lo, max(a.v) AS hi FROM " + c.t(1)
                        + " a GROUP BY a.g", 1).withStrategy("AGGREGATE"),
                plain(c.st("dcg"), "SELECT count(DISTINCT a.n) AS dn, count(*) AS c FROM " + c.t(1) + " a", 1)
                        .withStrategy("AGGREGATE"),
                grouped(c.st("dcf"), "SELECT a.k, count(DISTINCT a.g) FILTER (WHERE a.v > 1) AS dg,"
                        + " count(*) FILTER (WHERE a.v > 1) AS c FROM " + c.t(1) + " a GROUP BY a.k"
                        + " HAVING count(DISTINCT a.g) FILTER (WHERE a.v > 1) <> 1", 1),
                plain(c.st("dcj"), "SELECT a.id, m.dg FROM " + c.t(1) + " a JOIN (SELECT b.k, count(DISTINCT b.g) AS dg"
                        + " FROM " + c.t(2) + " b GROUP BY b.k) m ON m.k = a.k", 1, 2))));
        // Inside queries: UNION ALL branches, a joined subquery, a correlated extreme (TPC-H Q2's
        // shape), HAVING on an extreme.
        shapes.add(new Shape("min_max_inside_queries", 2, c -> List.of(
                plain(c.st("mu"), "SELECT a.g, max(a.v) AS m FROM " + c.t(1) + " a GROUP BY a.g"
                        + " UNION ALL SELECT b.g, min(b.v) FROM " + c.t(2) + " b GROUP BY b.g", 1, 2),
                plain(c.st("mj"), "SELECT a.id, m.lo, m.dg FROM " + c.t(1) + " a JOIN (SELECT b.k, min(b.v) AS lo,"
                        + " count(DISTINCT b.g) AS dg FROM " + c.t(2) + " b GROUP BY b.k) m ON m.k = a.k", 1, 2),
                plain(c.st("mc"), "SELECT a.id, a.v FROM " + c.t(1) + " a WHERE a.v = (SELECT max(b.v) FROM "
                        + c.t(2) + " b WHERE b.k = a.k)", 1, 2),
                grouped(c.st("mh"), "SELECT a.k, max(a.v) AS hv FROM " + c.t(1) + " a GROUP BY a.k"
                        + " HAVING max(a.v) > " + c.small() + " OR min(a.g) = 'a'", 1))));

        // ---------------------------------------------------------------- TopK
        // Each order covers every output column, so rows tied in it are equal and the first rows
        // are one set (with ties, the set is defined anyway).
        shapes.add(new Shape("top_k_rows", 1, c -> List.of(
                plain(c.st("tk"), "SELECT a.id, a.v, a.g FROM " + c.t(1) + " a WHERE a.g IS DISTINCT FROM 'c'"
                        + " ORDER BY a.v DESC NULLS LAST, a.id, a.g LIMIT 3", 1).withStrategy("TOP_K"),
                plain(c.st("tko"), "SELECT a.k, a.id FROM " + c.t(1) + " a ORDER BY a.k NULLS FIRST, a.id"
                        + " OFFSET 1 LIMIT 2", 1).withStrategy("TOP_K"),
                plain(c.st("tkt"), "SELECT a.v FROM " + c.t(1) + " a ORDER BY a.v DESC FETCH FIRST 2 ROWS WITH TIES", 1)
                        .withStrategy("TOP_K"))));
        shapes.add(new Shape("top_k_groups_and_join", 2, c -> List.of(
                plain(c.st("tkg"), "SELECT a.g, sum(a.v) AS s, count(*) AS c FROM " + c.t(1) + " a GROUP BY a.g"
                        + " ORDER BY s DESC NULLS LAST, a.g LIMIT 2", 1).withStrategy("TOP_K"),
                plain(c.st("tkj"), "SELECT a.id, b.v FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k"
                        + " ORDER BY b.v, a.id LIMIT 4", 1, 2).withStrategy("TOP_K"))));

        // ---------------------------------------------------------------- DISTINCT ON
        // The order decides between every two rows that differ in the output, so each key's
        // winner is one row (or equal copies).
        shapes.add(new Shape("distinct_on", 2, c -> List.of(
                grouped(c.st("don"), "SELECT DISTINCT ON (a.g) a.g, a.id, a.v FROM " + c.t(1) + " a"
                        + " ORDER BY a.g, a.v DESC NULLS LAST, a.id", 1).withStrategy("GROUP_RESCAN"),
                grouped(c.st("donj"), "SELECT DISTINCT ON (a.k, b.g) a.k, b.g, b.v FROM " + c.t(1) + " a JOIN "
                        + c.t(2) + " b ON a.k = b.k ORDER BY a.k, b.g, b.v NULLS FIRST", 1, 2).withStrategy("GROUP_RESCAN"),
                // Mixed directions and NULL placements compared with the stored row; an order
                // by a column that is not an output decides every touched key again.
                grouped(c.st("donm"), "SELECT DISTINCT ON (a.k) a.k, a.g, a.v FROM " + c.t(1) + " a"
                        + " ORDER BY a.k, a.g ASC NULLS FIRST, a.v DESC", 1).withStrategy("GROUP_RESCAN"),
                grouped(c.st("donh"), "SELECT DISTINCT ON (a.g) a.g, a.v FROM " + c.t(1) + " a"
                        + " ORDER BY a.g, a.n, a.v", 1).withStrategy("GROUP_RESCAN"))));

        // ---------------------------------------------------------------- set operations
        // k is numeric spelled with varying scale in some schemas: equal values spelled apart are
        // one value of a set operation.
        shapes.add(new Shape("set_operations", 2, c -> List.of(
                plain(c.st("so_u"), "SELECT a.k, a.g FROM " + c.t(1) + " a UNION SELECT b.k, b.g FROM " + c.t(2) + " b", 1, 2),
                plain(c.st("so_i"), "SELECT a.k FROM " + c.t(1) + " a INTERSECT SELECT b.k FROM " + c.t(2) + " b"
                        + " WHERE b.v > 1", 1, 2),
                plain(c.st("so_e"), "SELECT a.g, a.v FROM " + c.t(1) + " a EXCEPT SELECT b.g, b.v FROM " + c.t(2) + " b", 1, 2),
                plain(c.st("so_ia"), "SELECT a.v FROM " + c.t(1) + " a INTERSECT ALL SELECT b.v FROM " + c.t(2) + " b", 1, 2),
                plain(c.st("so_ea"), "SELECT a.g FROM " + c.t(1) + " a EXCEPT ALL SELECT b.g FROM " + c.t(2) + " b", 1, 2))));
        shapes.add(new Shape("set_operations_nested", 2, c -> List.of(
                grouped(c.st("son_g"), "SELECT q.k, count(*) AS c FROM (SELECT a.k FROM " + c.t(1) + " a UNION"
                        + " SELECT b.k FROM " + c.t(2) + " b) q GROUP BY q.k", 1, 2),
                plain(c.st("son_m"), "SELECT a.k FROM " + c.t(1) + " a WHERE a.v > 2 UNION ALL (SELECT b.k FROM " + c.t(2) + " b"
                        + " EXCEPT SELECT a2.k FROM " + c.t(1) + " a2 WHERE a2.g = 'a')", 1, 2),
                plain(c.st("son_c"), "(SELECT a.g FROM " + c.t(1) + " a UNION SELECT b.g FROM " + c.t(2) + " b)"
                        + " INTERSECT ALL SELECT a3.g FROM " + c.t(1) + " a3 WHERE a3.v IS NOT NULL", 1, 2))));

        // ---------------------------------------------------------------- window functions
        // The windows that number rows share one order, which decides between rows that differ in
        // the output (ties are equal rows), so every row's values are defined; partitions appear,
        // vanish and rows move.
        shapes.add(new Shape("window_ranking_and_offsets", 1, c -> List.of(
                plain(c.st("wr"), "SELECT a.g, a.id, a.v, row_number() OVER (PARTITION BY a.g ORDER BY a.v NULLS FIRST, a.id) AS rn,"
                        + " rank() OVER (PARTITION BY a.g ORDER BY a.v) AS rk, dense_rank() OVER (PARTITION BY a.g ORDER BY a.v) AS dr,"
                        + " lag(a.v) OVER (PARTITION BY a.g ORDER BY a.v NULLS FIRST, a.id) AS prev,"
                        + " first_value(a.id) OVER (PARTITION BY a.g ORDER BY a.v NULLS FIRST, a.id) AS fv,"
                        + " ntile(2) OVER (PARTITION BY a.g ORDER BY a.v NULLS FIRST, a.id) AS nt"
                        + " FROM " + c.t(1) + " a", 1).withStrategy("PARTITION_RESCAN"),
                plain(c.st("wn"), "SELECT a.g, a.id, rank() OVER w AS rk, sum(a.v) OVER w AS s FROM " + c.t(1) + " a"
                        + " WINDOW w AS (PARTITION BY a.g ORDER BY a.v, a.id)", 1).withStrategy("PARTITION_RESCAN"))));
        shapes.add(new Shape("window_running_sums", 2, c -> List.of(
                plain(c.st("ws"), "SELECT a.k, a.id, a.v, a.g, sum(a.v) OVER (PARTITION BY a.k ORDER BY a.id, a.v NULLS FIRST, a.g"
                        + " ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running, count(*) OVER (PARTITION BY a.k) AS n,"
                        + " percent_rank() OVER (PARTITION BY a.k, a.g ORDER BY a.v) AS pr"
                        + " FROM " + c.t(1) + " a WHERE a.g IS DISTINCT FROM 'c'", 1).withStrategy("PARTITION_RESCAN"),
                plain(c.st("wj"), "SELECT b.g, a.v, max(a.v) OVER (PARTITION BY b.g) AS mx, cume_dist() OVER (ORDER BY a.v) AS cd"
                        + " FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k", 1, 2).withStrategy("PARTITION_RESCAN"),
                // Keyed where both tables have keys, and holding every column its windows read: a
                // touched partition is then rebuilt from its stored rows.
                plain(c.st("wk"), "SELECT a.id, b.id AS bid, b.g, a.v, rank() OVER (PARTITION BY b.g ORDER BY a.v) AS rk,"
                        + " lead(b.id) OVER (PARTITION BY b.g ORDER BY a.v NULLS FIRST, a.id, b.id) AS nxt"
                        + " FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k WHERE a.g IS DISTINCT FROM 'b'", 1, 2)
                        .withStrategy("PARTITION_RESCAN"))));

        // ---------------------------------------------------------------- recursive queries
        // Rows linked by k = id (cycles, NULL links and equal ids included), walked to a bounded
        // depth, which ends the recursion on cycles as it does the query's own evaluation, and as a
        // set without a bound.
        shapes.add(new Shape("recursive_links", 2, c -> List.of(
                plain(c.st("rl"), "WITH RECURSIVE r AS (SELECT a.id, a.k, a.v, 0 AS depth FROM " + c.t(1) + " a"
                        + " WHERE a.g = 'a' UNION ALL SELECT b.id, b.k, r.v + coalesce(b.v, 0), r.depth + 1 FROM "
                        + c.t(1) + " b JOIN r ON b.k = r.id WHERE r.depth < 3) SELECT id, k, v, depth FROM r", 1)
                        .withStrategy("CONTENT"),
                plain(c.st("rj"), "WITH RECURSIVE r (id, g, hops) AS (SELECT a.id, a.g, 0 FROM " + c.t(1) + " a"
                        + " WHERE a.v > 2 UNION ALL SELECT b.id, r.g, r.hops + 1 FROM r JOIN " + c.t(2) + " b"
                        + " ON b.k = r.id WHERE r.hops < 2) SELECT hops, g, id FROM r", 1, 2).withStrategy("CONTENT"),
                // As a set (UNION): no bound, the recursion ends where the query's does, cycles included.
                plain(c.st("ru"), "WITH RECURSIVE r AS (SELECT a.id, a.g FROM " + c.t(1) + " a WHERE a.v > 2 UNION"
                        + " SELECT b.id, r.g FROM " + c.t(2) + " b JOIN r ON b.k = r.id) SELECT id, g FROM r", 1, 2)
                        .withStrategy("CONTENT"),
                // Inside a larger query (grouped, joined): the recursion's result kept in a table.
                grouped(c.st("rk"), "WITH RECURSIVE r AS (SELECT a.id, a.v, 0 AS depth FROM " + c.t(1) + " a WHERE a.g = 'b'"
                        + " UNION ALL SELECT b.id, b.v, r.depth + 1 FROM " + c.t(1) + " b JOIN r ON b.k = r.id WHERE r.depth < 2)"
                        + " SELECT r.depth, count(*) AS c, sum(r.v) AS s FROM r GROUP BY r.depth", 1),
                plain(c.st("rs"), "WITH RECURSIVE r (id) AS (SELECT a.id FROM " + c.t(1) + " a WHERE a.v > 3 UNION"
                        + " SELECT b.id FROM " + c.t(2) + " b JOIN r ON b.k = r.id) SELECT r.id, x.g FROM r JOIN " + c.t(2)
                        + " x ON x.id = r.id", 1, 2),
                // A walk down a tree (k naming the parent): keyed by id where it is the table's key,
                // its IMMEDIATE writers stamping the nodes their changes reach.
                plain(c.st("rt"), "WITH RECURSIVE r AS (SELECT a.id, a.k, a.g AS path, 0 AS depth FROM " + c.t(1) + " a"
                        + " WHERE a.k IS NULL UNION ALL SELECT b.id, b.k, r.path || '/' || coalesce(b.g, '-'), r.depth + 1"
                        + " FROM " + c.t(1) + " b JOIN r ON b.k = r.id WHERE r.depth < 4) SELECT id, k, path, depth FROM r", 1))));

        // ---------------------------------------------------------------- functions in FROM
        // A set-returning function per row (NULL arguments, empty and repeated results included),
        // alone and below a join and a grouping, left-joined (rows without results kept), and a
        // calendar of constants first in FROM.
        shapes.add(new Shape("lateral_functions", 2, c -> List.of(
                plain(c.st("lu"), "SELECT a.id, u.x, u.n FROM " + c.t(1) + " a CROSS JOIN LATERAL unnest(ARRAY[a.v,"
                        + " a.id, a.v]) WITH ORDINALITY AS u(x, n) WHERE u.x IS DISTINCT FROM 3", 1).withStrategy("CONTENT"),
                grouped(c.st("lg"), "SELECT s.x, count(*) AS c, sum(b.v) AS s FROM " + c.t(1) + " a JOIN " + c.t(2)
                        + " b ON a.k = b.k, generate_series(0, a.v % 3) AS s(x) GROUP BY s.x", 1, 2),
                plain(c.st("ll"), "SELECT a.id, u.x, u.n FROM " + c.t(1) + " a LEFT JOIN LATERAL unnest(ARRAY[a.v, a.v + 1])"
                        + " WITH ORDINALITY AS u(x, n) ON u.x > 3", 1).withStrategy("CONTENT"),
                grouped(c.st("lc"), "SELECT s.x, count(a.id) AS c, sum(a.v) AS s FROM generate_series(0, 6) AS s(x)"
                        + " LEFT JOIN " + c.t(1) + " a ON a.v = s.x GROUP BY s.x", 1))));

        // ---------------------------------------------------------------- LATERAL subqueries
        // The top rows per row (ties, NULL values and keys, rows moving between keys; ordered by
        // every output column, as the query picks any of the rows tied at the limit) and an
        // aggregate per row under a LEFT JOIN, correlated on one and on two columns.
        shapes.add(new Shape("lateral_subqueries", 2, c -> List.of(
                plain(c.st("lt"), "SELECT a.id, t.v, t.g FROM " + c.t(1) + " a, LATERAL (SELECT b.v, b.g FROM " + c.t(2)
                        + " b WHERE b.k = a.k ORDER BY b.v DESC NULLS LAST, b.id, b.g LIMIT 2) t", 1, 2).withStrategy("CONTENT"),
                plain(c.st("la"), "SELECT a.id, s.c, s.m FROM " + c.t(1) + " a LEFT JOIN LATERAL (SELECT count(*) AS c,"
                        + " max(b.v) AS m FROM " + c.t(2) + " b WHERE b.k = a.k AND b.g = a.g) s ON true", 1, 2)
                        .withStrategy("CONTENT"),
                // After a join, which keeps its condition.
                plain(c.st("lj"), "SELECT a.id, x.g AS xg, t.v FROM " + c.t(1) + " a JOIN " + c.t(2) + " x ON x.id = a.id,"
                        + " LATERAL (SELECT b.v FROM " + c.t(2) + " b WHERE b.k = a.k ORDER BY b.v DESC NULLS LAST, b.id, b.g"
                        + " LIMIT 1) t", 1, 2).withStrategy("CONTENT"))));

        // ---------------------------------------------------------------- moving time windows
        // Columns compared with the clock (NULLs, key changes, deletes that empty a group): the
        // changes filtered at the old time, the window's move between refreshes an index range.
        // The bounds sit years from the values, so that the clock's move during a run flips no row
        // (ClockQueriesTest moves a frozen clock across rows).
        shapes.add(new Shape("clock_window", 2, c -> List.of(
                plain(c.st("cw"), "SELECT a.id, a.v, a.g FROM " + c.t(1) + " a WHERE timestamptz '2026-06-01 00:00+00'"
                        + " + a.v * interval '1 year' > now() - interval '1 day'", 1),
                grouped(c.st("cg"), "SELECT b.g, count(*) AS c, sum(a.v) AS s FROM " + c.t(1) + " a JOIN " + c.t(2)
                        + " b ON a.k = b.k WHERE date '2026-01-01' + a.v * 365 >= current_date - 30 GROUP BY b.g", 1, 2))));

        // Groupings kept in tables, as branches of a UNION ALL: each branch's kept state is
        // maintained once per refresh.
        shapes.add(new Shape("union_all_of_kept_groupings", 2, c -> List.of(plain(c.st("ukg"),
                "SELECT a.g, sum(a.v) AS s FROM " + c.t(1) + " a GROUP BY a.g UNION ALL SELECT b.g, count(*) FROM "
                        + c.t(2) + " b GROUP BY b.g", 1, 2))));
        // ---------------------------------------------------------------- grouping sets
        // NULL keys beside rolled-up ones (GROUPING tells them apart), groups of every set
        // appearing and vanishing.
        shapes.add(new Shape("grouping_sets", 2, c -> List.of(
                plain(c.st("gsr"), "SELECT a.g, a.k, count(*) AS c, sum(a.v) AS s, GROUPING(a.g, a.k) AS gg FROM " + c.t(1)
                        + " a GROUP BY ROLLUP(a.g, a.k)", 1),
                plain(c.st("gsc"), "SELECT a.g, a.v % 2 AS odd, count(*) AS c, min(a.v) AS lo, GROUPING(a.g) AS gg FROM "
                        + c.t(1) + " a GROUP BY CUBE(a.g, a.v % 2)", 1),
                plain(c.st("gss"), "SELECT a.g, b.g AS bg, count(*) AS c FROM " + c.t(1) + " a JOIN " + c.t(2) + " b"
                        + " ON a.k = b.k GROUP BY GROUPING SETS ((a.g), (b.g), ()) HAVING count(*) > 1", 1, 2),
                plain(c.st("gsn"), "SELECT a.g, a.k, a.v, count(*) AS c, GROUPING(a.v) AS gv FROM " + c.t(1) + " a"
                        + " GROUP BY GROUPING SETS (ROLLUP(a.g, a.k), (a.v))", 1))));

        // ---------------------------------------------------------------- HAVING
        shapes.add(new Shape("having_count", 1, c -> List.of(grouped(c.st("hc"),
                "SELECT a.g, count(*) AS c, sum(a.v) AS sv FROM " + c.t(1) + " a GROUP BY a.g"
                        + " HAVING count(*) > " + (1 + c.small()), 1))));
        shapes.add(new Shape("having_sum_or_null", 1, c -> List.of(grouped(c.st("hs"),
                "SELECT a.k, sum(a.v) AS sv, avg(a.n) AS an FROM " + c.t(1) + " a GROUP BY a.k"
                        + " HAVING sum(a.v) > " + c.small() + " OR sum(a.v) IS NULL", 1))));
        shapes.add(new Shape("having_global", 1, c -> List.of(plain(c.st("hg"),
                "SELECT count(*) AS c, sum(a.v) AS sv FROM " + c.t(1) + " a HAVING count(*) > " + (2 + c.small()), 1))));

        // ---------------------------------------------------------------- DISTINCT
        shapes.add(new Shape("distinct", 1, c -> List.of(grouped(c.st("d"),
                "SELECT DISTINCT a.k, a.g FROM " + c.t(1) + " a", 1))));
        shapes.add(new Shape("distinct_join", 2, c -> List.of(grouped(c.st("dj"),
                "SELECT DISTINCT a.g, b.g AS bg FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k", 1, 2))));
        shapes.add(new Shape("distinct_over_union_all", 2, c -> List.of(grouped(c.st("du"),
                "SELECT DISTINCT q.g FROM (SELECT a.g FROM " + c.t(1) + " a UNION ALL SELECT b.g FROM " + c.t(2) + " b) q",
                1, 2))));

        // ---------------------------------------------------------------- UNION ALL
        shapes.add(new Shape("union_all_2", 2, c -> List.of(plain(c.st("u2"),
                "SELECT a.k, a.v FROM " + c.t(1) + " a WHERE a.v > 2 UNION ALL SELECT b.k, b.v FROM " + c.t(2) + " b",
                1, 2))));
        shapes.add(new Shape("union_all_3", 2, c -> List.of(plain(c.st("u3"),
                "SELECT a.g, a.v FROM " + c.t(1) + " a"
                        + " UNION ALL SELECT b.g, b.v FROM " + c.t(2) + " b WHERE b.k IS NOT NULL"
                        + " UNION ALL SELECT a2.g, a2.v FROM " + c.t(1) + " a2 WHERE a2.v < 2", 1, 2))));

        // ---------------------------------------------------------------- subqueries, views, CTEs
        shapes.add(new Shape("subquery_in_from", 1, c -> List.of(plain(c.st("sq"),
                "SELECT q.k, q.v2 FROM (SELECT a.k, a.v * 2 AS v2 FROM " + c.t(1) + " a WHERE a.v IS NOT NULL) q"
                        + " WHERE q.v2 > 2", 1))));
        shapes.add(new Shape("table_column_lists", 2, c -> List.of(plain(c.st("tcl"),
                "SELECT x.i, x.kk, y.gg FROM " + c.t(1) + " AS x (i, kk) LEFT JOIN " + c.t(2) + " y (j, k2, gg)"
                        + " ON y.k2 = x.kk WHERE x.v IS NOT NULL", 1, 2))));
        shapes.add(new Shape("join_with_subquery", 2, c -> List.of(plain(c.st("jq"),
                "SELECT b.g, q.s FROM " + c.t(2) + " b JOIN (SELECT a.k, a.v AS s FROM " + c.t(1) + " a"
                        + " WHERE a.g <> 'c') q ON b.k = q.k", 1, 2))));
        shapes.add(new Shape("group_over_union_all_subquery", 2, c -> List.of(grouped(c.st("gu"),
                "SELECT q.g, count(*) AS c, sum(q.v) AS sv FROM (SELECT a.g, a.v FROM " + c.t(1) + " a"
                        + " UNION ALL SELECT b.g, b.v FROM " + c.t(2) + " b) q GROUP BY q.g", 1, 2))));
        shapes.add(new Shape("view_over_join_filtered", 2, c -> {
            String view = c.view("vj", "SELECT a.k, a.v, b.g, b.n FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k");
            return List.of(plain(c.st("vf"), "SELECT j.g, j.v, j.n FROM " + view + " j WHERE j.v > 0", 1, 2));
        }));
        shapes.add(new Shape("view_over_join_grouped", 2, c -> {
            String view = c.view("vj", "SELECT a.k, a.v, b.g, b.n FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k");
            return List.of(grouped(c.st("vg"), "SELECT j.g, count(*) AS c, sum(j.v) AS sv, avg(j.n) AS an"
                    + " FROM " + view + " j GROUP BY j.g", 1, 2));
        }));
        shapes.add(new Shape("view_joined_with_table", 3, c -> {
            String view = c.view("vj", "SELECT a.k, a.v, b.g FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k");
            return List.of(plain(c.st("vt"), "SELECT j.k, j.v, t.n FROM " + view + " j JOIN " + c.t(3) + " t"
                    + " ON j.g = t.g", 1, 2, 3));
        }));
        shapes.add(new Shape("cte_grouped", 1, c -> List.of(grouped(c.st("cte"),
                "WITH x AS (SELECT a.k, a.v FROM " + c.t(1) + " a WHERE a.v > 0)"
                        + " SELECT x.k, count(*) AS c, sum(x.v) AS sv FROM x GROUP BY x.k", 1))));

        shapes.add(new Shape("cte_used_twice", 1, c -> List.of(plain(c.st("ct2"),
                "WITH x AS (SELECT a.k, a.v, a.g FROM " + c.t(1) + " a WHERE a.v IS NOT NULL)"
                        + " SELECT x1.k, x1.v, x2.g FROM x x1 JOIN x x2 ON x1.k = x2.k AND x1.v < x2.v", 1))));

        // ---------------------------------------------------------------- GROUP BY over joins
        shapes.add(new Shape("group_over_join", 2, c -> List.of(grouped(c.st("gj"),
                "SELECT a.g, count(*) AS c, sum(b.v) AS sv, avg(b.n) AS an, count(b.n) AS cn"
                        + " FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k GROUP BY a.g", 1, 2))));
        shapes.add(new Shape("group_over_join3", 3, c -> List.of(grouped(c.st("gj3"),
                "SELECT c.g, sum(a.v) AS sv, count(*) AS c FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k"
                        + " JOIN " + c.t(3) + " c ON b.g = c.g GROUP BY c.g", 1, 2, 3))));

        // ---------------------------------------------------------------- chains of stream tables
        shapes.add(new Shape("chain_aggregate_over_filter", 1, c -> List.of(
                plain(c.st("ca"), "SELECT a.k, a.g, a.v FROM " + c.t(1) + " a WHERE a.v IS NOT NULL", 1),
                grouped(c.st("cb"), "SELECT x.g, count(*) AS c, sum(x.v) AS sv, avg(x.v) AS av"
                        + " FROM " + c.st("ca") + " x GROUP BY x.g"))));
        shapes.add(new Shape("chain_join_base_with_stream_table", 2, c -> List.of(
                grouped(c.st("ka"), "SELECT a.k, sum(a.v) AS sv, count(*) AS c FROM " + c.t(1) + " a GROUP BY a.k", 1),
                plain(c.st("kb"), "SELECT b.id, b.g, x.sv, x.c FROM " + c.t(2) + " b JOIN " + c.st("ka") + " x"
                        + " ON x.k = b.k", 2))));
        shapes.add(new Shape("chain_three_levels", 2, c -> List.of(
                plain(c.st("la"), "SELECT a.k, a.g, b.v FROM " + c.t(1) + " a JOIN " + c.t(2) + " b ON a.k = b.k"
                        + " WHERE b.v > 0", 1, 2),
                grouped(c.st("lb"), "SELECT DISTINCT x.g, x.k FROM " + c.st("la") + " x"),
                plain(c.st("lc"), "SELECT count(*) AS c, count(y.g) AS cg FROM " + c.st("lb") + " y"))));

        // ---------------------------------------------------------------- inexact sums
        shapes.add(new Shape("float_sum_group_rescan", 1, c -> List.of(grouped(c.st("fs"),
                "SELECT a.g, sum(a.f) AS sf, avg(a.f) AS af, count(a.f) AS cf, count(*) AS c"
                        + " FROM " + c.t(1) + " a GROUP BY a.g", 1)
                .withStrategy("GROUP_RESCAN")
                .comparing("sf", ROUNDED_SUM.formatted("sf"))
                .comparing("af", ROUNDED_AVG.formatted("af", "cf")))));
        shapes.add(new Shape("float_sum_global_rescan", 1, c -> List.of(plain(c.st("fg"),
                "SELECT sum(a.f) AS sf, count(a.f) AS cf FROM " + c.t(1) + " a WHERE a.k IS NOT NULL", 1)
                .withStrategy("GROUP_RESCAN")
                .comparing("sf", ROUNDED_SUM.formatted("sf")))));
        return shapes;
    }

    /** The shape of this name. */
    static Shape named(String name) {
        return all().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }
}
