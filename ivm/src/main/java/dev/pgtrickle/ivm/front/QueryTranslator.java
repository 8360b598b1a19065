package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Binding;
import dev.pgtrickle.ivm.plan.Clock;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.DistinctOn;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Recursive;
import dev.pgtrickle.ivm.plan.TopK;
import dev.pgtrickle.ivm.plan.UnionAll;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.plan.Window;
import net.sf.jsqlparser.expression.Alias;
import net.sf.jsqlparser.expression.AnalyticExpression;
import net.sf.jsqlparser.expression.CastExpression;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.WindowDefinition;
import net.sf.jsqlparser.expression.operators.relational.ExistsExpression;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;
import net.sf.jsqlparser.statement.select.SetOperation;
import net.sf.jsqlparser.statement.select.SetOperationList;
import net.sf.jsqlparser.statement.select.UnionOp;
import net.sf.jsqlparser.statement.select.IntersectOp;
import net.sf.jsqlparser.statement.select.ExceptOp;
import net.sf.jsqlparser.statement.select.Values;
import net.sf.jsqlparser.statement.select.WithItem;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Map;

/** Translates the queries of one canonical text: set operations, WITH, and each query block. */
final class QueryTranslator {

    private final CanonicalText text;
    private final ColumnUse columnUse;
    private final RelationCatalog catalog;
    private final Expressions expressions;
    /** Subqueries of expressions made inputs so far: each gets an alias of its own. */
    private int subqueryInputs;
    /** Each CTE body is translated once: the translation rewrites its syntax tree in place. */
    private final Map<Select, QueryPlan> cteBodies = new IdentityHashMap<>();

    QueryTranslator(CanonicalText text, ColumnUse columnUse, RelationCatalog catalog) {
        this.text = text;
        this.columnUse = columnUse;
        this.catalog = catalog;
        this.expressions = new Expressions(text, catalog);
    }

    CanonicalText text() {
        return text;
    }

    /** Which columns of each FROM item the query may reference. */
    ColumnUse columnUse() {
        return columnUse;
    }

    RelationCatalog catalog() {
        return catalog;
    }

    Expressions expressions() {
        return expressions;
    }

    /**
     * The defining query: a query, or the first rows of one in an order ({@link TopK}), which only
     * the top of a defining query may be. The order must be over output columns: it is matched
     * before the query is translated, as translation qualifies column references in place.
     */
    QueryPlan top(Select select) throws UnsupportedQueryException {
        if (select.getLimit() == null && select.getOffset() == null && select.getFetch() == null) {
            return query(select, CteScope.NONE);
        }
        String construct = topK(select);
        if (select instanceof PlainSelect block && block.getDistinct() != null
                && block.getDistinct().getOnSelectItems() != null) {
            throw new UnsupportedQueryException(construct, "a TopK over DISTINCT ON is not supported yet");
        }
        List<OrderByElement> elements = select.getOrderByElements();
        if (elements == null || elements.isEmpty()) {
            throw new UnsupportedQueryException(construct, "LIMIT or OFFSET without ORDER BY picks arbitrary"
                    + " rows; it cannot be maintained");
        }
        Long limit = null;
        boolean withTies = false;
        if (select.getLimit() != null && !select.getLimit().isLimitAll() && !select.getLimit().isLimitNull()) {
            limit = constant(select.getLimit().getRowCount(), construct);
        }
        if (select.getFetch() != null) {
            limit = constant(select.getFetch().getExpression(), construct);
            withTies = select.getFetch().getFetchParameters().stream().anyMatch(p -> p.equalsIgnoreCase("WITH TIES"));
        }
        long offset = select.getOffset() == null ? 0 : constant(select.getOffset().getOffset(), construct);
        List<Expression> keys = elements.stream().map(OrderByElement::getExpression).toList();
        List<String> matched = new ArrayList<>();
        for (Expression key : keys) {
            matched.add(select instanceof PlainSelect block ? outputWithExpression(block, key) : null);
        }
        select.setOrderByElements(null);
        select.setLimit(null);
        select.setOffset(null);
        select.setFetch(null);
        QueryPlan input = query(select, CteScope.NONE);
        List<TopK.SortKey> order = new ArrayList<>();
        for (int i = 0; i < elements.size(); i++) {
            OrderByElement element = elements.get(i);
            String column = matched.get(i) != null ? matched.get(i) : outputNamed(input, keys.get(i), construct);
            order.add(new TopK.SortKey(column, !element.isAsc(), nullsFirst(element)));
        }
        return new TopK(input, order, limit, offset, withTies);
    }

    /** The name of the output of {@code block} whose expression is {@code key}, or {@code null}. */
    private String outputWithExpression(PlainSelect block, Expression key) {
        for (SelectItem<?> item : block.getSelectItems()) {
            if (!(item.getExpression() instanceof AllColumns)
                    && expressions.comparable(item.getExpression()).equals(expressions.comparable(key))) {
                return SelectList.name(item, text);
            }
        }
        return null;
    }

    /** The output a sort key names: by position ({@code ORDER BY 1}) or by an unqualified name. */
    private String outputNamed(QueryPlan input, Expression key, String construct) throws UnsupportedQueryException {
        Expression bare = Expressions.unparenthesized(key);
        if (bare instanceof LongValue position
                && position.getValue() >= 1 && position.getValue() <= input.columns().size()) {
            return input.columns().get((int) position.getValue() - 1);
        }
        if (bare instanceof Column c && c.getTable() == null
                && input.columns().contains(text.name(c.getColumnName()))) {
            return text.name(c.getColumnName());
        }
        throw new UnsupportedQueryException(construct, "ORDER BY " + text.sql(key) + ": a TopK may only order by"
                + " columns of its SELECT list yet");
    }

    long constant(Expression e, String construct) throws UnsupportedQueryException {
        Expression bare = e == null ? null : Expressions.unparenthesized(e);
        if (bare instanceof CastExpression cast) {
            bare = Expressions.unparenthesized(cast.getLeftExpression());
        }
        if (bare instanceof LongValue value && value.getValue() >= 0) {
            return value.getValue();
        }
        throw new UnsupportedQueryException(construct, "LIMIT, OFFSET and FETCH must be non-negative integer constants");
    }

    /** A query, with the CTEs of {@code scope} visible in it. ORDER BY alone is dropped: a table has no order. */
    QueryPlan query(Select select, CteScope scope) throws UnsupportedQueryException {
        if (select.getLimit() != null || select.getOffset() != null || select.getFetch() != null) {
            throw new UnsupportedQueryException(topK(select), "TopK (ORDER BY ... LIMIT) is not supported yet");
        }
        CteScope inner = with(select.getWithItemsList(), scope);
        if (select instanceof PlainSelect block) {
            return block(block, inner);
        } else if (select instanceof SetOperationList operations) {
            return setOperations(operations, inner);
        } else if (select instanceof ParenthesedSelect parenthesized) {
            return query(parenthesized.getSelect(), inner);
        } else if (select instanceof Values) {
            throw new UnsupportedQueryException(text.sql(select), "VALUES lists are not supported yet");
        }
        throw new UnsupportedQueryException(text.sql(select), "only SELECT and UNION ALL queries are supported");
    }

    /** A new alias for the input a subquery of an expression becomes; user names cannot start with {@code __pgt_}. */
    String subqueryAlias() {
        return "__pgt_subquery_" + (++subqueryInputs);
    }

    /** The plan of the CTE {@code cte} refers to; the same plan under every alias referring to it. */
    QueryPlan cte(CteScope cte) throws UnsupportedQueryException {
        QueryPlan plan = cteBodies.get(cte.body());
        if (plan == null) {
            plan = cte.recursive() ? recursive(cte) : null;
            if (plan == null) {
                plan = query(cte.body(), cte.outer());
            }
            cteBodies.put(cte.body(), plan);
        }
        return plan;
    }

    /**
     * A WITH RECURSIVE query whose last UNION ALL branch refers to the query itself (PostgreSQL
     * has checked the form: one reference, in that branch only); {@code null} for a CTE under
     * WITH RECURSIVE that does not.
     */
    private Recursive recursive(CteScope cte) throws UnsupportedQueryException {
        if (!(cte.body() instanceof ParenthesedSelect parenthesized)
                || !(parenthesized.getSelect() instanceof SetOperationList operations)) {
            return null;
        }
        List<Select> selects = operations.getSelects();
        List<SetOperation> between = operations.getOperations();
        SetOperationList baseList = new SetOperationList();
        baseList.setSelects(new ArrayList<>(selects.subList(0, selects.size() - 1)));
        baseList.setOperations(new ArrayList<>(between.subList(0, between.size() - 1)));
        QueryPlan base = selects.size() == 2 ? query(selects.get(0), cte.outer()) : query(baseList, cte.outer());
        List<String> columns = cte.columns().isEmpty() ? base.columns() : cte.columns();
        QueryPlan step = query(selects.get(selects.size() - 1), cte.outer().withSelf(cte.name(), columns));
        if (!Recursive.refersToItself(step)) {
            return null;
        }
        SetOperation last = between.get(between.size() - 1);
        if (!(last instanceof UnionOp union)) {
            throw new UnsupportedQueryException("WITH RECURSIVE " + cte.name(), "a recursive query is UNION or UNION ALL");
        }
        if (Clock.reads(text.sql(cte.body()))) {
            throw new UnsupportedQueryException("WITH RECURSIVE " + cte.name(), "a recursive query reading the clock"
                    + " is not maintained yet");
        }
        if (!(step instanceof Project project)) {
            throw new UnsupportedQueryException("WITH RECURSIVE " + cte.name(), "the recursive term must be a plain"
                    + " SELECT (no DISTINCT, grouping or window functions)");
        }
        return new Recursive(cte.name(), columns, base, project, java.util.Optional.empty(), !union.isAll());
    }

    private CteScope with(List<WithItem<?>> items, CteScope scope) throws UnsupportedQueryException {
        CteScope result = scope;
        if (items == null) {
            return result;
        }
        for (WithItem<?> item : items) {
            if (!(item.getStatement() instanceof ParenthesedSelect body)) {
                throw new UnsupportedQueryException(text.sql(item), "data-modifying WITH queries are not supported");
            }
            List<String> columns = new ArrayList<>();
            if (item.getWithItemList() != null) {
                for (SelectItem<?> column : item.getWithItemList()) {
                    if (!(column.getExpression() instanceof net.sf.jsqlparser.schema.Column name)) {
                        throw new UnsupportedQueryException(text.sql(item), "a WITH column list holds names only");
                    }
                    columns.add(text.name(name.getColumnName()));
                }
            }
            result = result.with(text.name(item.getAliasName()), body, columns, item.isRecursive());
        }
        return result;
    }

    /**
     * A chain of set operations, applied left to right as PostgreSQL prints them (it
     * parenthesizes an operand that would bind otherwise). UNION ALL branches join one list.
     */
    private QueryPlan setOperations(SetOperationList operations, CteScope scope) throws UnsupportedQueryException {
        List<Select> selects = operations.getSelects();
        QueryPlan result = query(selects.get(0), scope);
        for (int i = 0; i < operations.getOperations().size(); i++) {
            SetOperation operation = operations.getOperations().get(i);
            QueryPlan right = query(selects.get(i + 1), scope);
            if (right.columns().size() != result.columns().size()) {
                throw new UnsupportedQueryException(operation.toString(), "each side of a set operation has as many columns");
            }
            if (operation instanceof UnionOp union && union.isAll()) {
                List<QueryPlan> branches = new ArrayList<>();
                for (QueryPlan plan : List.of(result, right)) {
                    // UNION ALL is associative: a parenthesized UNION ALL branch joins the list.
                    if (plan instanceof UnionAll nested) {
                        branches.addAll(nested.branches());
                    } else {
                        branches.add(plan);
                    }
                }
                result = new UnionAll(branches);
            } else {
                result = new dev.pgtrickle.ivm.plan.SetOperation(setOperationKind(operation), operation.isAll(),
                        result, right);
            }
        }
        return result;
    }

    private static dev.pgtrickle.ivm.plan.SetOperation.Kind setOperationKind(SetOperation operation)
            throws UnsupportedQueryException {
        if (operation instanceof UnionOp) {
            return dev.pgtrickle.ivm.plan.SetOperation.Kind.UNION;
        } else if (operation instanceof IntersectOp) {
            return dev.pgtrickle.ivm.plan.SetOperation.Kind.INTERSECT;
        } else if (operation instanceof ExceptOp) {
            return dev.pgtrickle.ivm.plan.SetOperation.Kind.EXCEPT;
        }
        throw new UnsupportedQueryException(operation.toString(), "this set operation is not supported");
    }

    /** One SELECT ... FROM ... [WHERE] [GROUP BY] [HAVING] block. */
    @SuppressWarnings("unchecked") // a SELECT list item holds an expression
    private QueryPlan block(PlainSelect block, CteScope scope) throws UnsupportedQueryException {
        if (block.getFromItem() == null) {
            throw new UnsupportedQueryException(text.sql(block),
                    "a query without FROM reads no table; it cannot be maintained incrementally");
        }
        boolean distinctOn = block.getDistinct() != null && block.getDistinct().getOnSelectItems() != null;
        if (distinctOn && (block.getGroupBy() != null || block.getHaving() != null)) {
            throw new UnsupportedQueryException(text.sql(block.getDistinct()).strip(),
                    "DISTINCT ON over GROUP BY is not supported yet");
        }
        if (block.getWindowDefinitions() != null) {
            inlineNamedWindows(block);
        }
        if (block.getForMode() != null) {
            throw new UnsupportedQueryException("FOR " + block.getForMode().getValue(),
                    "row locking clauses are not supported");
        }
        FromTranslator.FromClause from = new FromTranslator(this, scope).translate(block);
        if (!from.fullyMerged().isEmpty()) {
            replaceFullyMerged(block, from.fullyMerged());
        }
        if (from.plan().bindings().size() == 1) {
            Binding only = from.plan().bindings().get(0);
            rewriteClauses(block, expressions.qualifier(only, from.spelledAliases().get(only.alias())));
        }
        Sublinks sublinks = new Sublinks(this, scope);
        ScalarSubqueries scalars = new ScalarSubqueries(this, scope, from.plan().aliases());
        List<Condition> conditions = new ArrayList<>();
        List<Sublinks.Sublink> tests = new ArrayList<>();
        if (block.getWhere() != null) {
            for (Expression conjunct : Expressions.conjuncts(block.getWhere())) {
                Sublinks.Sublink sublink = sublinks.recognize(conjunct);
                if (sublink != null) {
                    tests.add(sublink);
                } else {
                    int before = scalars.inputCount();
                    Expression replaced = scalars.replace(conjunct);
                    conditions.addAll(scalars.semiJoinTest(before, expressions.conditions(replaced)));
                }
            }
        }
        for (SelectItem<?> item : block.getSelectItems()) {
            if (!(item.getExpression() instanceof AllColumns)) {
                ((SelectItem<Expression>) item).setExpression(scalars.replace(item.getExpression()));
            }
        }
        boolean grouped = block.getGroupBy() != null || block.getHaving() != null;
        HavingTests havingTests = new HavingTests(this);
        if (block.getHaving() != null) {
            List<Expression> having = new ArrayList<>();
            for (Expression conjunct : Expressions.conjuncts(block.getHaving())) {
                int before = scalars.inputCount();
                Expression replaced = scalars.replace(conjunct);
                if (!havingTests.take(replaced, scalars.takeHavingTest(before))) {
                    having.add(replaced);
                }
            }
            block.setHaving(having.isEmpty() ? null : Expressions.and(having));
        }
        FromPlan input = scalars.placeUncorrelated(from.plan(), conditions);
        for (Sublinks.Sublink sublink : tests) {
            input = sublinks.join(input, sublink);
        }
        input = scalars.placeCorrelated(input, conditions);
        List<SelectList.Output> outputs = SelectList.outputs(block.getSelectItems(), from, text);
        List<List<Expression>> windows = new ArrayList<>();
        List<String> windowed = new ArrayList<>();
        boolean aggregates = false;
        for (SelectList.Output output : outputs) {
            Expressions.WindowUse use = expressions.windowUse(output.expression());
            aggregates |= use.aggregates();
            if (!use.calls().isEmpty()) {
                windowed.add(output.name());
            }
            for (AnalyticExpression call : use.calls()) {
                windows.add(call.getPartitionExpressionList() == null ? List.of()
                        : new ArrayList<>(call.getPartitionExpressionList()));
            }
        }
        if (!windows.isEmpty()) {
            if (grouped || aggregates || block.getDistinct() != null) {
                throw new UnsupportedQueryException(text.sql(block.getSelectItems().get(0)), "window functions over"
                        + " GROUP BY or aggregates, or with DISTINCT, are not supported yet");
            }
            List<OutputColumn> columns = new ArrayList<>();
            for (SelectList.Output output : outputs) {
                columns.add(new OutputColumn(output.name(), expressions.sql(output.expression())));
            }
            return new Window(input, sharedPartitionKeys(windows), columns, windowed);
        }
        QueryPlan plan;
        if (AggregateTranslator.hasGroupingSets(block.getGroupBy())) {
            if (!havingTests.isEmpty()) {
                throw new UnsupportedQueryException(text.sql(block.getGroupBy()), "GROUPING SETS with a HAVING test"
                        + " against a subquery are not supported yet");
            }
            plan = new AggregateTranslator(expressions, text).translateSets(input, outputs, block.getGroupBy(),
                    block.getHaving());
        } else if (grouped || anyAggregate(outputs)) {
            AggregateTranslator translator = new AggregateTranslator(expressions, text);
            Aggregate groups = translator.countingDistinctValues(
                    translator.translate(input, havingTests.outputs(outputs), block.getGroupBy(), block.getHaving()));
            plan = havingTests.isEmpty() ? groups : havingTests.apply(groups, outputs);
        } else {
            List<OutputColumn> columns = new ArrayList<>();
            for (SelectList.Output output : outputs) {
                columns.add(new OutputColumn(output.name(), expressions.scalar(output.expression())));
            }
            if (distinctOn) {
                return distinctOn(block, input, columns);
            }
            plan = new Project(input, columns);
        }
        return block.getDistinct() != null ? new Distinct(plan) : plan;
    }

    /** {@code OVER w} replaced by the definition of {@code w} in the WINDOW clause, which is then dropped. */
    private void inlineNamedWindows(PlainSelect block) throws UnsupportedQueryException {
        Map<String, WindowDefinition> named = new HashMap<>();
        for (WindowDefinition definition : block.getWindowDefinitions()) {
            named.put(text.name(definition.getWindowName()), definition);
        }
        rewriteClauses(block, node -> {
            if (node instanceof AnalyticExpression call && call.getWindowName() != null) {
                WindowDefinition definition = named.get(text.name(call.getWindowName()));
                if (definition == null) {
                    throw new UnsupportedQueryException(text.sql(call), Expressions.NAMED_WINDOWS);
                }
                // Each call its own lists: the clauses' rewrites replace list items in place.
                WindowDefinition written = new WindowDefinition();
                if (definition.getPartitionExpressionList() != null) {
                    written.setPartitionExpressionList(new ExpressionList<>(
                            new ArrayList<Expression>(definition.getPartitionExpressionList())));
                }
                if (definition.getOrderByElements() != null) {
                    List<OrderByElement> order = new ArrayList<>();
                    for (OrderByElement element : definition.getOrderByElements()) {
                        OrderByElement copy = new OrderByElement();
                        copy.setExpression(element.getExpression());
                        copy.setAsc(element.isAsc());
                        copy.setAscDescPresent(element.isAscDescPresent());
                        copy.setNullOrdering(element.getNullOrdering());
                        order.add(copy);
                    }
                    written.setOrderByElements(order);
                }
                written.setWindowElement(definition.getWindowElement());
                call.setWindowName(null);
                call.setWindowDefinition(written);
            }
            return null;
        });
        block.setWindowDefinitions(null);
    }

    /** The PARTITION BY expressions every window call has (SQL), in the first call's order. */
    private List<String> sharedPartitionKeys(List<List<Expression>> windows) throws UnsupportedQueryException {
        List<String> shared = new ArrayList<>();
        for (Expression key : windows.get(0)) {
            String comparable = expressions.comparable(key);
            boolean everywhere = windows.stream().allMatch(keys -> keys.stream()
                    .anyMatch(other -> expressions.comparable(other).equals(comparable)));
            if (everywhere) {
                shared.add(expressions.scalar(key));
            }
        }
        return shared;
    }

    /** Where an ORDER BY item puts NULLs: as written, else PostgreSQL's default (first when descending). */
    private static boolean nullsFirst(OrderByElement element) {
        return element.getNullOrdering() == null ? !element.isAsc()
                : element.getNullOrdering() == OrderByElement.NullOrdering.NULLS_FIRST;
    }

    /** {@code DISTINCT ON (…)} with its ORDER BY, over the rows of {@code input}. */
    private QueryPlan distinctOn(PlainSelect block, FromPlan input, List<OutputColumn> columns)
            throws UnsupportedQueryException {
        List<String> keys = new ArrayList<>();
        for (SelectItem<?> item : block.getDistinct().getOnSelectItems()) {
            keys.add(expressions.scalar(item.getExpression()));
        }
        List<String> order = new ArrayList<>();
        List<TopK.SortKey> winnerOrder = new ArrayList<>();
        boolean comparable = true;
        if (block.getOrderByElements() != null) {
            for (OrderByElement element : block.getOrderByElements()) {
                String sql = expressions.scalar(element.getExpression());
                order.add(sql + (element.isAsc() ? " ASC" : " DESC") + (nullsFirst(element) ? " NULLS FIRST" : " NULLS LAST"));
                if (keys.contains(sql)) {
                    continue;
                }
                OutputColumn output = columns.stream().filter(c -> c.expression().equals(sql)).findFirst().orElse(null);
                comparable &= output != null;
                if (output != null) {
                    winnerOrder.add(new TopK.SortKey(output.name(), !element.isAsc(), nullsFirst(element)));
                }
            }
        }
        return new DistinctOn(input, keys, columns, order, comparable ? Optional.of(winnerOrder) : Optional.empty());
    }

    /**
     * Replaces the bare references to columns merged by FULL JOIN ... USING with the
     * {@code COALESCE} they stand for; a select item keeps the column's name. A subquery naming
     * one is refused: inside it the name could be the subquery's own column.
     */
    private void replaceFullyMerged(PlainSelect block, Map<String, FromTranslator.MergedColumn> merged)
            throws UnsupportedQueryException {
        for (SelectItem<?> item : block.getSelectItems()) {
            FromTranslator.MergedColumn bare = mergedColumn(item.getExpression(), merged);
            if (bare != null && item.getAlias() == null) {
                item.setAlias(new Alias(bare.column()));
            }
        }
        rewriteClauses(block, node -> {
            if (node instanceof Select || node instanceof ExistsExpression) {
                ColumnUse use = ColumnUse.of(text.sql(node));
                for (String name : merged.keySet()) {
                    if (use.namesBare(name)) {
                        throw new UnsupportedQueryException(text.sql(node), "a subquery refers to " + name
                                + ", merged by FULL JOIN ... USING; write the join with ON");
                    }
                }
                return node;
            }
            FromTranslator.MergedColumn column = mergedColumn(node, merged);
            return column == null ? null : column.value();
        });
    }

    /** The merged column {@code node} names bare, if it is one. */
    private FromTranslator.MergedColumn mergedColumn(Expression node, Map<String, FromTranslator.MergedColumn> merged) {
        if (node instanceof Column column && (column.getTable() == null || column.getTable().getName() == null)) {
            return merged.get(text.name(column.getColumnName()));
        }
        return null;
    }

    /**
     * Rewrites the expressions of a block's WHERE, select list, GROUP BY and HAVING. Subqueries
     * are the rewriter's to skip or refuse; {@code *} select items are left alone.
     */
    @SuppressWarnings("unchecked")
    private void rewriteClauses(PlainSelect block, ExpressionTree.Rewriter rewriter) throws UnsupportedQueryException {
        if (block.getWhere() != null) {
            block.setWhere(expressions.rewrite(block.getWhere(), rewriter));
        }
        for (SelectItem<?> item : block.getSelectItems()) {
            if (!(item.getExpression() instanceof AllColumns)) {
                ((SelectItem<Expression>) item).setExpression(expressions.rewrite(item.getExpression(), rewriter));
            }
        }
        if (block.getGroupBy() != null && block.getGroupBy().getGroupByExpressionList() != null) {
            List<Expression> keys = block.getGroupBy().getGroupByExpressionList();
            for (int i = 0; i < keys.size(); i++) {
                keys.set(i, expressions.rewrite(keys.get(i), rewriter));
            }
        }
        if (block.getGroupBy() != null && block.getGroupBy().getGroupingSets() != null) {
            List<Object> sets = (List<Object>) (List<?>) block.getGroupBy().getGroupingSets();
            for (int i = 0; i < sets.size(); i++) {
                sets.set(i, expressions.rewrite((Expression) sets.get(i), rewriter));
            }
        }
        if (block.getHaving() != null) {
            block.setHaving(expressions.rewrite(block.getHaving(), rewriter));
        }
        if (block.getDistinct() != null && block.getDistinct().getOnSelectItems() != null) {
            for (SelectItem<?> item : block.getDistinct().getOnSelectItems()) {
                ((SelectItem<Expression>) item).setExpression(expressions.rewrite(item.getExpression(), rewriter));
            }
        }
        if (block.getOrderByElements() != null) {
            for (OrderByElement element : block.getOrderByElements()) {
                element.setExpression(expressions.rewrite(element.getExpression(), rewriter));
            }
        }
    }

    private boolean anyAggregate(List<SelectList.Output> outputs) throws UnsupportedQueryException {
        for (SelectList.Output output : outputs) {
            if (expressions.containsAggregate(output.expression())) {
                return true;
            }
        }
        return false;
    }

    private String topK(Select select) {
        StringBuilder sb = new StringBuilder();
        List<OrderByElement> orderBy = select.getOrderByElements();
        if (orderBy != null) {
            sb.append(Select.orderByToString(orderBy));
        }
        for (Object clause : new Object[] {select.getLimit(), select.getOffset(), select.getFetch()}) {
            if (clause != null) {
                sb.append(' ').append(clause.toString().strip());
            }
        }
        return text.sql(sb.toString().strip());
    }
}
