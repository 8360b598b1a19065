package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.Lookup;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.rewrite.InnerJoins;
import dev.pgtrickle.ivm.sql.Sql;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ExistsExpression;
import net.sf.jsqlparser.expression.operators.relational.GreaterThan;
import net.sf.jsqlparser.expression.operators.relational.InExpression;
import net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.GroupByElement;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Scalar subqueries in the SELECT list, WHERE and HAVING of a query block, as inputs of their own
 * that the expression refers to:
 * <ul>
 *   <li>uncorrelated ones that aggregate without GROUP BY — exactly one row, whatever their input
 *       — are joined to the block's other inputs;</li>
 *   <li>correlated ones whose correlation is a conjunction of equalities {@code inner = outer}
 *       become a GROUP BY of the inner expressions, LEFT JOINed on the outer ones and read per
 *       row as a {@link Lookup}, as PostgreSQL evaluates the subquery itself: a row of the
 *       outer query without rows in the subquery meets no group. Each aggregate call of the
 *       value is a column of the grouping, and the value is computed from them in the outer
 *       query, counts read as 0 where no group matched, so that it is the subquery's value over
 *       no rows.</li>
 * </ul>
 */
final class ScalarSubqueries {

    /** Stands for the outer row's values when asking whether an index serves a correlation. */
    private static final String PROBE = "__pgt_probe";

    private record Input(FromPlan input, JoinKind kind, Condition condition) {
    }

    private final QueryTranslator queries;
    private final CteScope scope;
    private final Set<String> visible;
    private final List<Input> inputs = new ArrayList<>();

    /** @param visible the aliases of the block's FROM clause, which a correlation may name */
    ScalarSubqueries(QueryTranslator queries, CteScope scope, Set<String> visible) {
        this.queries = queries;
        this.scope = scope;
        this.visible = Set.copyOf(visible);
    }

    /** {@code e} with its scalar subqueries replaced by references to their inputs. */
    Expression replace(Expression e) throws UnsupportedQueryException {
        return queries.expressions().rewrite(e, node -> {
            if (node instanceof InExpression in && in.getRightExpression() instanceof ParenthesedSelect subquery) {
                return replace(membership(in, subquery));
            }
            if (node instanceof ExistsExpression exists && exists.getRightExpression() instanceof ParenthesedSelect subquery) {
                return existence(exists, subquery);
            }
            return node instanceof ParenthesedSelect subquery ? input(subquery) : null;
        });
    }

    /**
     * {@code x [NOT] IN (SELECT y FROM … WHERE p)} inside an expression (under OR, in the SELECT
     * list), where it cannot become a semi or anti join, spelled out with its NULL rule as
     * EXISTS tests, which become counts: true if some member equals x; else false if there are
     * no members; else NULL if x is NULL or some member is; else false.
     */
    private Expression membership(InExpression in, ParenthesedSelect subquery) throws UnsupportedQueryException {
        String construct = queries.text().sql(in);
        PlainSelect block = subquery.getSelect() instanceof PlainSelect select && select.getSelectItems().size() == 1
                && !(in.getLeftExpression() instanceof ParenthesedExpressionList<?> list && list.size() > 1)
                ? asPlain(select) : null;
        if (block == null) {
            throw new UnsupportedQueryException(construct, "IN inside an expression is supported for a subquery"
                    + " returning one column, tested against one expression, without LIMIT, and not correlated"
                    + " where it groups (GROUP BY, HAVING, aggregates, DISTINCT)");
        }
        Set<String> shadowed = new HashSet<>(queries.expressions().aliases(in.getLeftExpression()));
        shadowed.retainAll(fromAliases(block));
        if (!shadowed.isEmpty()) {
            // Moved into the subquery, the tested expression would name the subquery's own input.
            throw new UnsupportedQueryException(construct, "IN inside an expression whose subquery reuses the alias "
                    + String.join(", ", shadowed) + " of the tested expression is not supported; rename one of them");
        }
        String tested = in.getLeftExpression().toString();
        String member = block.getSelectItems().get(0).getExpression().toString();
        String equal = members(block, "(" + member + ") = (" + tested + ")");
        String any = members(block, null);
        String nullMember = members(block, "(" + member + ") IS NULL");
        String value = "(CASE WHEN EXISTS " + equal + " THEN true WHEN NOT EXISTS " + any + " THEN false"
                + " WHEN (" + tested + ") IS NULL OR EXISTS " + nullMember + " THEN NULL ELSE false END)";
        try {
            return CCJSqlParserUtil.parseExpression(in.isNot() ? "(NOT " + value + ")" : value);
        } catch (JSQLParserException e) {
            throw new UnsupportedQueryException(construct, "IN inside this expression could not be rewritten: "
                    + e.getMessage());
        }
    }

    /** {@code (SELECT 1 FROM … WHERE p [AND condition])}: a copy of the subquery's block, as parseable text. */
    private static String members(PlainSelect block, String condition) {
        StringBuilder from = new StringBuilder(block.getFromItem().toString());
        if (block.getJoins() != null) {
            for (net.sf.jsqlparser.statement.select.Join join : block.getJoins()) {
                from.append(join.isSimple() ? ", " : " ").append(join);
            }
        }
        String where = block.getWhere() == null ? null : "(" + block.getWhere() + ")";
        String all = where == null ? condition : condition == null ? where : where + " AND " + condition;
        return "(SELECT 1 FROM " + from + (all == null ? "" : " WHERE " + all) + ")";
    }

    /** The names the FROM items of {@code block} are known by. */
    private Set<String> fromAliases(PlainSelect block) {
        List<net.sf.jsqlparser.statement.select.FromItem> items = new ArrayList<>(List.of(block.getFromItem()));
        if (block.getJoins() != null) {
            block.getJoins().forEach(join -> items.add(join.getFromItem()));
        }
        Set<String> names = new HashSet<>();
        for (var item : items) {
            if (item.getAlias() != null) {
                names.add(queries.text().name(item.getAlias().getName()));
            } else if (item instanceof Table table) {
                names.add(queries.text().name(table.getName()));
            }
        }
        return names;
    }

    /**
     * {@code block} as a block without grouping: itself when it is one; else, when it groups
     * (GROUP BY, HAVING, aggregates, DISTINCT) without LIMIT and without naming the query around
     * it, a block over it as a derived table, {@code SELECT __pgt_member.m FROM (block) AS
     * __pgt_member (m)}, which has the grouping's rows. {@code null} otherwise.
     */
    private PlainSelect asPlain(PlainSelect block) throws UnsupportedQueryException {
        if (plain(block) && !queries.expressions().containsAggregate(block.getSelectItems().get(0).getExpression())) {
            return block;
        }
        Set<String> referenced = queries.expressions().aliases(block);
        if (block.getFromItem() == null || block.getLimit() != null || block.getOffset() != null
                || block.getFetch() != null || block.getSelectItems().size() != 1
                || !fromAliases(block).containsAll(referenced)) {
            return null;
        }
        try {
            return (PlainSelect) CCJSqlParserUtil.parse("SELECT __pgt_member.m FROM (" + block + ") AS __pgt_member (m)");
        } catch (JSQLParserException e) {
            throw new UnsupportedQueryException(queries.text().sql(block), "this subquery could not be rewritten: "
                    + e.getMessage());
        }
    }

    /** Without GROUP BY, HAVING, DISTINCT or LIMIT: its rows are those of its FROM clause that pass its WHERE. */
    private static boolean plain(PlainSelect block) {
        return block.getFromItem() != null && block.getGroupBy() == null && block.getHaving() == null
                && block.getDistinct() == null && block.getLimit() == null && block.getOffset() == null
                && block.getFetch() == null;
    }

    /**
     * {@code EXISTS (q)} inside an expression (under OR, in the SELECT list, …), where it cannot
     * become a semi join: {@code (SELECT count(*) FROM … WHERE …) > 0}, the count a scalar
     * subquery like any other — read as 0 where a correlated one finds no group.
     */
    private Expression existence(ExistsExpression exists, ParenthesedSelect subquery) throws UnsupportedQueryException {
        PlainSelect block = null;
        if (subquery.getSelect() instanceof PlainSelect select) {
            if (!plain(select)) {
                // Whether a row exists does not depend on what the subquery selects.
                select.setSelectItems(List.of(new SelectItem<>(new LongValue(1))));
            }
            block = asPlain(select);
        }
        if (block == null) {
            throw new UnsupportedQueryException(queries.text().sql(exists), "EXISTS inside an expression is supported"
                    + " for subqueries without LIMIT, and not correlated where they group (GROUP BY, HAVING,"
                    + " aggregates, DISTINCT)");
        }
        block.setSelectItems(List.of(new SelectItem<>(new Function("count", new AllColumns()))));
        Expression count = input(new ParenthesedSelect().withSelect(block));
        return exists.isNot() ? new EqualsTo(count, new LongValue(0)) : new GreaterThan(count, new LongValue(0));
    }

    /** How many inputs the subqueries replaced so far became. */
    int inputCount() {
        return inputs.size();
    }

    /**
     * The conditions of a WHERE conjunct, replaced after {@code before} inputs existed: where the
     * conjunct held exactly one scalar subquery and it is uncorrelated, nothing else reads its
     * input (every occurrence is an input of its own), so the block's rows are semi-joined with
     * that one-row input on the conjunct instead of joined and filtered. Its columns are then not
     * output, and a change of its value reaches only the rows whose test it flips (see
     * {@code plan.Join}). Returns the conditions left to place on the block's rows: the implied
     * ones that do not name the input, or all of them when the conjunct is no such test.
     */
    List<Condition> semiJoinTest(int before, List<Condition> conditions) {
        if (inputs.size() != before + 1 || inputs.get(before).kind() != JoinKind.INNER) {
            return conditions;
        }
        Input input = inputs.get(before);
        Set<String> own = input.input().aliases();
        inputs.set(before, new Input(input.input(), JoinKind.SEMI, conditions.get(0)));
        return conditions.subList(1, conditions.size()).stream()
                .filter(c -> c.aliases().stream().noneMatch(own::contains)).toList();
    }

    /**
     * The input of a HAVING conjunct's only scalar subquery, replaced after {@code before} inputs
     * existed, taken out of the block's inputs when it is uncorrelated: the conjunct then tests
     * the groups against it ({@link HavingTests}). {@code null} when the conjunct is no such test.
     */
    FromPlan takeHavingTest(int before) {
        if (inputs.size() != before + 1 || inputs.get(before).kind() != JoinKind.INNER) {
            return null;
        }
        return inputs.remove(before).input();
    }

    /** The aliases of the inputs the subqueries became. */
    Set<String> aliases() {
        Set<String> aliases = new HashSet<>();
        for (Input input : inputs) {
            aliases.addAll(input.input().aliases());
        }
        return aliases;
    }

    /**
     * The block's FROM clause joined with the one-row inputs of its uncorrelated subqueries, and
     * the conditions placed that do not name what a correlated subquery became; then semi-joined
     * with the inputs that only a WHERE conjunct tests ({@link #semiJoinTest}).
     */
    FromPlan placeUncorrelated(FromPlan from, List<Condition> conditions) {
        List<Condition> below = new ArrayList<>(conditions);
        below.removeAll(onCorrelated(conditions));
        return joined(InnerJoins.place(joined(from, JoinKind.INNER), below), JoinKind.SEMI);
    }

    /**
     * {@code plan} (the block's rows so far: {@link #placeUncorrelated}, then its semi and anti
     * joins, which only filter, so that the correlated subqueries are read for fewer rows and
     * their deltas restricted to the groups those rows ask for) joined with the inputs of the
     * correlated subqueries, and the conditions on those applied above.
     */
    FromPlan placeCorrelated(FromPlan plan, List<Condition> conditions) {
        List<Condition> above = onCorrelated(conditions);
        FromPlan joined = joined(plan, JoinKind.LEFT);
        return above.isEmpty() ? joined : new Filter(joined, Condition.all(above));
    }

    private List<Condition> onCorrelated(List<Condition> conditions) {
        Set<String> correlated = new HashSet<>();
        for (Input input : inputs) {
            if (input.kind() == JoinKind.LEFT) {
                correlated.addAll(input.input().aliases());
            }
        }
        return conditions.stream().filter(c -> c.aliases().stream().anyMatch(correlated::contains)).toList();
    }

    private FromPlan joined(FromPlan from, JoinKind kind) {
        FromPlan plan = from;
        for (Input input : inputs) {
            if (input.kind() == kind) {
                plan = new Join(kind, plan, input.input(), input.condition());
            }
        }
        return plan;
    }

    private Expression input(ParenthesedSelect subquery) throws UnsupportedQueryException {
        String construct = queries.text().sql(subquery);
        if (!(subquery.getSelect() instanceof PlainSelect block) || block.getFromItem() == null
                || subquery.getSelect().getWithItemsList() != null) {
            throw new UnsupportedQueryException(construct, "only scalar subqueries that are one SELECT ... FROM"
                    + " block are supported");
        }
        // Translating rewrites a grouping's syntax tree in place (its aggregates become
        // placeholders), so the FROM clause is translated apart only when its names do not
        // already show that the subquery is uncorrelated.
        Set<String> referenced = queries.expressions().aliases(block);
        if (!fromAliases(block).containsAll(referenced)) {
            FromPlan inner = new FromTranslator(queries, scope).translate(block).plan();
            if (!inner.aliases().containsAll(referenced)) {
                return correlated(block, inner, construct);
            }
        }
        QueryPlan plan = queries.query(subquery, scope);
        if (!(plan instanceof Aggregate aggregate) || !aggregate.groupKeys().isEmpty() || aggregate.having() != null) {
            throw new UnsupportedQueryException(construct, "only scalar subqueries that aggregate without GROUP BY"
                    + " (exactly one row) are supported yet");
        }
        String alias = queries.subqueryAlias();
        inputs.add(new Input(new Derived(plan, alias), JoinKind.INNER, Condition.TRUE));
        return new Column(new Table(alias), Sql.ident(plan.columns().get(0)));
    }

    private Expression correlated(PlainSelect block, FromPlan inner, String construct) throws UnsupportedQueryException {
        Set<String> own = inner.aliases();
        if (block.getGroupBy() != null || block.getHaving() != null || block.getDistinct() != null
                || block.getLimit() != null || block.getOffset() != null || block.getSelectItems().size() != 1) {
            throw new UnsupportedQueryException(construct, "correlated scalar subqueries with GROUP BY, HAVING,"
                    + " DISTINCT, LIMIT or several columns are not supported yet");
        }
        Expressions expressions = queries.expressions();
        Expression value = block.getSelectItems().get(0).getExpression();
        if (!own.containsAll(expressions.aliases(value))) {
            throw new UnsupportedQueryException(construct, "the value of a correlated scalar subquery may only use"
                    + " the subquery's own columns");
        }
        String alias = queries.subqueryAlias();
        // Each aggregate call of the value becomes a column of the grouping, and the value is
        // computed from those in the outer query: where no group matches (the subquery has no
        // rows), a count reads as 0 and sum and avg as NULL — what the subquery gives over no rows.
        List<Expression> calls = new ArrayList<>();
        Expression outer = expressions.rewrite(value, node -> {
            AggregateFunctions.Call call = expressions.aggregate(node);
            if (call == null) {
                return null;
            }
            calls.add(node);
            Column column = new Column(new Table(alias), Sql.ident("__pgt_value" + calls.size()));
            return call.zeroOverNoRows() ? new Function("COALESCE", column, new LongValue(0)) : column;
        });
        if (calls.isEmpty() || !Set.of(alias).containsAll(expressions.aliases(outer))) {
            throw new UnsupportedQueryException(construct, "correlated scalar subqueries are supported when their"
                    + " value aggregates the subquery's rows (its columns only inside aggregate calls)");
        }
        List<Condition> local = new ArrayList<>();
        List<Expression> innerKeys = new ArrayList<>();
        List<Condition.Operand> outerKeys = new ArrayList<>();
        for (Expression conjunct : block.getWhere() == null ? List.<Expression>of() : Expressions.conjuncts(block.getWhere())) {
            Condition condition = expressions.condition(conjunct);
            if (!condition.aliases().isEmpty() && own.containsAll(condition.aliases())) {
                local.add(condition);
                continue;
            }
            Expression e = Expressions.unparenthesized(conjunct);
            if (!(e instanceof EqualsTo equal)) {
                throw new UnsupportedQueryException(queries.text().sql(conjunct), "a correlated scalar subquery"
                        + " may only compare its own expressions with the outer query's by equality");
            }
            Set<String> left = expressions.aliases(equal.getLeftExpression());
            Set<String> right = expressions.aliases(equal.getRightExpression());
            boolean innerLeft = !left.isEmpty() && own.containsAll(left) && right.stream().noneMatch(own::contains);
            boolean innerRight = !right.isEmpty() && own.containsAll(right) && left.stream().noneMatch(own::contains);
            if (!innerLeft && !innerRight) {
                throw new UnsupportedQueryException(queries.text().sql(conjunct), "a correlated scalar subquery"
                        + " may only compare its own expressions with the outer query's by equality");
            }
            innerKeys.add(innerLeft ? equal.getLeftExpression() : equal.getRightExpression());
            Condition.Operand outerKey = expressions.operand(innerLeft ? equal.getRightExpression() : equal.getLeftExpression());
            if (!visible.containsAll(outerKey.aliases())) {
                throw new UnsupportedQueryException(queries.text().sql(conjunct), "a subquery correlated with a query"
                        + " more than one level out is not supported yet");
            }
            outerKeys.add(outerKey);
        }
        List<SelectList.Output> outputs = new ArrayList<>();
        for (int i = 0; i < innerKeys.size(); i++) {
            outputs.add(new SelectList.Output("__pgt_key" + (i + 1), innerKeys.get(i)));
        }
        for (int i = 0; i < calls.size(); i++) {
            outputs.add(new SelectList.Output("__pgt_value" + (i + 1), calls.get(i)));
        }
        GroupByElement groupBy = new GroupByElement().addGroupByExpressions(innerKeys);
        FromPlan grouped = InnerJoins.place(inner, local);
        Aggregate groups = new AggregateTranslator(expressions, queries.text())
                .translate(grouped, outputs, groupBy, null);
        // Served by an index when the grouped input can be entered through its keys, each equal
        // to a given value.
        List<Condition> byKey = new ArrayList<>();
        for (int i = 0; i < innerKeys.size(); i++) {
            byKey.add(Condition.equal(expressions.operand(innerKeys.get(i)),
                    Condition.Operand.expression(PROBE + ".k" + (i + 1), Set.of(PROBE))));
        }
        boolean indexed = !byKey.isEmpty() && grouped.probedBy(Set.of(PROBE), byKey);
        List<Condition> on = new ArrayList<>();
        for (int i = 0; i < outerKeys.size(); i++) {
            String key = "__pgt_key" + (i + 1);
            on.add(Condition.equal(outerKeys.get(i),
                    Condition.Operand.column(Sql.ident(alias) + "." + Sql.ident(key), alias, key)));
        }
        Condition correlation = Condition.all(on);
        inputs.add(new Input(new Lookup(new Derived(groups, alias), correlation, indexed), JoinKind.LEFT, correlation));
        boolean delimited = outer instanceof Column || outer instanceof Function || outer instanceof ParenthesedExpressionList;
        return delimited ? outer : new ParenthesedExpressionList<>(outer);
    }
}
