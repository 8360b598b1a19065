package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.sql.QuotedText;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The clock a query reads ({@code now()}, {@code CURRENT_DATE}, …) and the comparisons of columns
 * with it that a refresh maintains: moving time windows (docs/architecture.md, "Moving time
 * windows"). The front end writes every reading of the clock as {@link #NOW}, the time of the
 * refresh running the statement; {@link #OLD} is the time of the refresh that computed the
 * stored contents.
 */
public final class Clock {

    /** The refresh's time: {@code now()} unless a test froze the clock (pgtrickle.test_clock). */
    public static final String NOW = "pgtrickle._clock()";
    /** The time the stored contents were computed at. */
    public static final String OLD = "pgtrickle._clock_old()";

    private static final String WHERE_ALLOWED = "the clock (now(), CURRENT_TIMESTAMP, CURRENT_DATE, LOCALTIMESTAMP)"
            + " is maintained only in WHERE comparisons of a column with the clock plus or minus constants,"
            + " such as ts > now() - interval '5 minutes'";

    /** The comparison an operator makes with its operands swapped. */
    private static final Map<String, String> MIRRORED = Map.of("<", ">", "<=", ">=", ">", "<", ">=", "<=", "=", "=");

    private Clock() {
    }

    /** Whether {@code sql} reads the clock. */
    public static boolean reads(String sql) {
        return QuotedText.containsOutside(sql, NOW);
    }

    /** {@code sql} evaluated at the time the stored contents were computed. */
    public static String old(String sql) {
        return QuotedText.replaceOutside(sql, NOW, OLD);
    }

    /**
     * {@code sql} (a whole statement) reading the clock once: each reading becomes an uncorrelated
     * scalar subquery, which PostgreSQL computes once per statement, where the function itself is
     * called again for every row a condition is evaluated on (and an index range reads the value
     * the same way).
     */
    public static String once(String sql) {
        return sql == null ? null
                : QuotedText.replaceOutside(QuotedText.replaceOutside(sql, NOW, "(SELECT " + NOW + ")"), OLD,
                        "(SELECT " + OLD + ")");
    }

    /** Why a query reading the clock elsewhere cannot be maintained. */
    public static UnsupportedQueryException notMaintained(String construct) {
        return new UnsupportedQueryException(construct, WHERE_ALLOWED);
    }

    /**
     * A comparison {@code operand operator term} of an expression over one input's row with the
     * clock plus or minus constants ({@code term}, which grows with the clock). A row's answer changes only when
     * the term passes its operand, so the rows whose answer differs between two times have their
     * operand between the term at those times ({@link #near}).
     */
    public record Bound(String operand, String operator, String term) {

        /** The rows whose answer may differ between the old time and now: an index range. */
        public String near() {
            String old = old(term);
            return operand + " >= LEAST(" + old + ", " + term + ") AND " + operand + " <= GREATEST(" + old + ", " + term + ")";
        }

        /**
         * Whether the term is the timestamp of the clock shifted by constants, so that the time a
         * row's answer changes is its operand minus the shift; a date or a local timestamp is not.
         */
        public boolean shifted() {
            return !QuotedText.containsOutside(term, "CAST(" + NOW);
        }

        /**
         * For a {@link #shifted} term: the earliest time after now at which the answer of one of
         * the rows of {@code input} changes, as a scalar subquery ({@code NULL} when none will).
         * Rows whose operand the term has not reached yet change when it does; those at the term
         * now count too, as {@code >=} keeps them an instant longer than {@code >}.
         */
        public String nextChange(String from, List<String> where) {
            List<String> conditions = new ArrayList<>(where);
            conditions.add(operand + " >= " + term);
            return "(SELECT pg_catalog.min((" + operand + ")::timestamptz) - (" + term + " - " + NOW + ") FROM " + from
                    + " WHERE " + Sql.and(conditions) + ")";
        }
    }

    /**
     * The comparisons with the clock among {@code condition}'s conjuncts; throws where a conjunct
     * reads the clock otherwise. The front end has checked that a term is the clock plus or minus
     * constants.
     */
    public static List<Bound> bounds(Condition condition) throws UnsupportedQueryException {
        List<Bound> bounds = new ArrayList<>();
        if (!reads(condition.sql())) {
            return bounds;
        }
        List<Condition.Conjunct> clocked = condition.conjuncts().stream().filter(c -> reads(c.sql())).toList();
        if (clocked.isEmpty()) {
            throw notMaintained(condition.sql());
        }
        for (Condition.Conjunct conjunct : clocked) {
            bounds.add(bound(conjunct));
        }
        return bounds;
    }

    private static Bound bound(Condition.Conjunct conjunct) throws UnsupportedQueryException {
        if (conjunct.operator() == null) {
            throw notMaintained(conjunct.sql());
        }
        Condition.Operand left = conjunct.left();
        Condition.Operand right = conjunct.right();
        if (isTerm(right) && isRowExpression(left)) {
            return new Bound(left.sql(), conjunct.operator(), right.sql());
        }
        if (isTerm(left) && isRowExpression(right)) {
            return new Bound(right.sql(), MIRRORED.get(conjunct.operator()), left.sql());
        }
        throw notMaintained(conjunct.sql());
    }

    private static boolean isTerm(Condition.Operand operand) {
        return reads(operand.sql()) && operand.aliases().isEmpty();
    }

    private static boolean isRowExpression(Condition.Operand operand) {
        return !reads(operand.sql()) && operand.aliases().size() == 1;
    }
}
