package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code ORDER BY … LIMIT n [OFFSET m]} (or {@code FETCH FIRST n ROWS [WITH TIES]}) at the top of
 * a defining query: the first rows of its input in an order over its output columns. Only the
 * top of a query; its maintenance keeps the rows and the boundary they end at (see
 * {@code TopKStrategy}).
 *
 * @param input the rows ordered
 * @param order the sort keys, over the input's output columns
 * @param limit how many rows; {@code null} for all of them (OFFSET alone)
 * @param offset how many rows are skipped first
 * @param withTies whether rows tied with the last one are included too
 */
public record TopK(QueryPlan input, List<SortKey> order, Long limit, long offset, boolean withTies)
        implements QueryPlan {

    /**
     * One key of the order: an output column, descending or not, NULLs first or last (always
     * explicit: PostgreSQL puts NULLs last ascending and first descending).
     */
    public record SortKey(String column, boolean descending, boolean nullsFirst) {

        public String sql(String alias) {
            return (alias == null ? "" : alias + ".") + Sql.ident(column) + (descending ? " DESC" : " ASC")
                    + (nullsFirst ? " NULLS FIRST" : " NULLS LAST");
        }
    }

    public TopK {
        order = List.copyOf(order);
        if (order.isEmpty()) {
            throw new IllegalArgumentException("a TopK has an order");
        }
    }

    @Override
    public List<String> columns() {
        return input.columns();
    }

    @Override
    public List<QueryPlan> inputs() {
        return List.of(input);
    }

    /**
     * SQL: whether a row sorts before another in {@code order} — or ties with it on every key,
     * where {@code orTied} — given each key's value in the one ({@code first}) and the other
     * ({@code second}). NULLs sort as the key places them; equal values tie.
     */
    public static String sortsBefore(List<SortKey> order, java.util.function.Function<SortKey, String> first,
                                     java.util.function.Function<SortKey, String> second, boolean orTied) {
        String result = orTied ? "true" : "false";
        for (int i = order.size() - 1; i >= 0; i--) {
            SortKey key = order.get(i);
            String a = first.apply(key);
            String b = second.apply(key);
            String before = "(" + (key.nullsFirst() ? a + " IS NULL AND " + b + " IS NOT NULL"
                    : a + " IS NOT NULL AND " + b + " IS NULL")
                    + " OR COALESCE(" + a + (key.descending() ? " > " : " < ") + b + ", false))";
            result = "(" + before + " OR (" + a + " IS NOT DISTINCT FROM " + b + " AND " + result + "))";
        }
        return result;
    }

    /** {@code ORDER BY k1, …} over the columns of {@code alias} (or unqualified for {@code null}). */
    public String orderBy(String alias) {
        return " ORDER BY " + order.stream().map(k -> k.sql(alias)).collect(Collectors.joining(", "));
    }

    /** The LIMIT and OFFSET clauses as written. */
    public String window() {
        String rows = limit == null ? "" : withTies ? " FETCH FIRST " + limit + " ROWS WITH TIES"
                : " LIMIT " + limit;
        return (offset == 0 ? "" : " OFFSET " + offset) + rows;
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        return "SELECT * FROM (" + input.current(context) + ") AS __pgt_topk" + orderBy("__pgt_topk") + window();
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        throw new UnsupportedQueryException("ORDER BY ..." + window(), "TopK inside a query is not supported yet");
    }

    @Override
    public String describe() {
        return "TopK" + orderBy(null) + window();
    }

    @Override
    public String deltaRule() {
        return "bounded: the input's delta is compared with the last stored row; only a change at or before it"
                + " recomputes the first rows (read from kept state where the input keeps it)";
    }
}
