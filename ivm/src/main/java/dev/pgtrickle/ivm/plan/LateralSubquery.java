package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.delta.OldState;
import dev.pgtrickle.ivm.delta.TouchedGroups;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * {@code FROM left, LATERAL (SELECT … FROM inner WHERE inner.x = left.y … [ORDER BY … LIMIT n])
 * AS alias}, or {@code left LEFT JOIN LATERAL (…) AS alias ON condition}: a subquery evaluated per
 * row of what precedes it, reading that row only in equalities of its WHERE
 * ({@code innerKeys[i] = outerKeys[i]}), which makes its rows a function Q(k) of the row's key.
 *
 * <p>The delta is the bilinear rule of a join of L with Q, Q's changes confined to the keys its
 * inner rows' changes touch (K): ΔL ⋈ Q_new + L_old[K] ⋈ Q_new − L_old[K] ⋈ Q_old. A changed left
 * row gets the subquery over the current inner rows; an unchanged left row of a touched key gets
 * it twice, over the current inner rows and over the old ones (reconstructed for the touched keys
 * only, {@link OldState}). ORDER BY … LIMIT is made a total order (ties broken by the row's
 * text), so that a recomputation picks the rows picked before.
 *
 * @param body the subquery without its correlation, ORDER BY and LIMIT: a projection or an
 *     aggregate over its inner FROM items
 * @param innerKeys the correlation's expressions over the inner items (SQL)
 * @param outerKeys the expressions over {@code left} they equal, in the same order (SQL)
 * @param orderBy the subquery's ORDER BY items over the inner items (SQL), empty for none
 * @param limit its LIMIT, or {@code null}
 * @param offset its OFFSET, or {@code null}
 * @param on the LEFT JOIN's condition, or {@code null} for a CROSS (inner) join
 */
public record LateralSubquery(FromPlan left, QueryPlan body, List<String> innerKeys, List<String> outerKeys,
                              List<String> orderBy, Long limit, Long offset, String alias, List<String> columns,
                              String on) implements FromPlan {

    public LateralSubquery {
        innerKeys = List.copyOf(innerKeys);
        outerKeys = List.copyOf(outerKeys);
        orderBy = List.copyOf(orderBy);
        columns = List.copyOf(columns);
        if (!(body instanceof Project) && !(body instanceof Aggregate)) {
            throw new IllegalArgumentException("a LATERAL subquery's body is a projection or an aggregate: " + body);
        }
    }

    /** The same subquery after {@code other} instead of {@code left}. */
    public LateralSubquery withLeft(FromPlan other) {
        return new LateralSubquery(other, body, innerKeys, outerKeys, orderBy, limit, offset, alias, columns, on);
    }

    /** The subquery's inner FROM items (with its own conditions). */
    public FromPlan inner() {
        return body instanceof Project project ? project.input() : ((Aggregate) body).input();
    }

    @Override
    public List<Binding> bindings() {
        List<Binding> bindings = new ArrayList<>(left.bindings());
        bindings.add(new Binding(alias, columns));
        return bindings;
    }

    @Override
    public List<Plan> inputs() {
        return List.of(left, body);
    }

    /** The subquery for the row before it, its inner items read from {@code rows}. */
    private String perRow(Fragment rows) {
        Fragment correlated = rows;
        for (int i = 0; i < innerKeys.size(); i++) {
            correlated = correlated.and("(" + innerKeys.get(i) + ") = (" + outerKeys.get(i) + ")");
        }
        if (body instanceof Aggregate aggregate) {
            return aggregate.current(correlated, List.of());
        }
        List<String> items = Project.items(((Project) body).outputs());
        StringBuilder sql = new StringBuilder(correlated.select(items));
        if (!orderBy.isEmpty()) {
            List<String> total = new ArrayList<>(orderBy);
            total.add("(ROW(" + ((Project) body).outputs().stream().map(OutputColumn::expression)
                    .collect(Collectors.joining(", ")) + "))::text");
            sql.append(" ORDER BY ").append(String.join(", ", total));
        }
        if (limit != null) {
            sql.append(" LIMIT ").append(limit);
        }
        if (offset != null) {
            sql.append(" OFFSET ").append(offset);
        }
        return sql.toString();
    }

    /** The subquery's rows for the row before it, as a LATERAL item that may follow a FROM list. */
    private String lateralItem(Fragment rows) {
        return LateralFunction.lateral("(" + perRow(rows) + ") AS " + Sql.ident(alias) + " (" + Sql.columns("", columns)
                + ")", alias, columns, on);
    }

    @Override
    public Fragment current(DeltaContext context) throws UnsupportedQueryException {
        Fragment rows = left.current(context);
        return new Fragment(rows.nested() + " CROSS JOIN " + lateralItem(inner().current(context)), true, rows.where());
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        List<String> items = DeltaContext.positionalItems(bindings(), List.of());
        Fragment now = inner().current(context);
        DeltaContext.Exposure leftChanges = context.expose(left);
        List<String> terms = new ArrayList<>();
        terms.add(DeltaContext.term(items, leftChanges.weight(), List.of(leftChanges.from(), lateralItem(now)), List.of()));

        TouchedGroups touched = TouchedGroups.of(context, "__pgt_lateral_keys", innerKeys, context.expose(inner()));
        String leftTouched = new TouchedGroups(touched.cte(), outerKeys).conditions().get(0);
        String innerTouched = touched.conditions().get(0);
        String leftOld = OldState.rows(context, left, left.current(context).and(leftTouched), leftTouched);
        String innerOldRows = context.freshName("__pgt_lateral_old");
        context.addCte(innerOldRows, "SELECT " + String.join(", ", DeltaContext.positionalItems(inner().bindings(), List.of()))
                + " FROM " + OldState.rows(context, inner(), now.and(innerTouched), innerTouched));
        Fragment old = Fragment.of(context.exposeRows(innerOldRows, inner().bindings()).from());
        terms.add(DeltaContext.term(items, "1", List.of(leftOld, lateralItem(now)), List.of()));
        terms.add(DeltaContext.term(items, "-1", List.of(leftOld, lateralItem(old)), List.of()));
        return DeltaContext.union(terms);
    }

    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        return false;
    }

    @Override
    public String describe() {
        return (on == null ? "Lateral subquery" : "Left join lateral subquery") + " AS " + alias + " ("
                + String.join(", ", columns) + ") per " + String.join(", ", outerKeys)
                + (orderBy.isEmpty() ? "" : " ORDER BY " + String.join(", ", orderBy))
                + (limit == null ? "" : " LIMIT " + limit) + (offset == null ? "" : " OFFSET " + offset)
                + (on == null ? "" : " ON " + on);
    }

    @Override
    public String deltaRule() {
        return "per row of the left input: its changed rows get the subquery over the current inner rows; its"
                + " rows of the keys the inner changes touch get it over the current and the old inner rows";
    }
}
