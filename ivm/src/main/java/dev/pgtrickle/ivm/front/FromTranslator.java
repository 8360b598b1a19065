package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Binding;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.FunctionCall;
import dev.pgtrickle.ivm.plan.FunctionScan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.LateralFunction;
import dev.pgtrickle.ivm.plan.LateralSubquery;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.RecursiveRef;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import net.sf.jsqlparser.expression.Alias;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.JsonTableFunction;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.FromItem;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.statement.select.LateralSubSelect;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.ParenthesedFromItem;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.TableFunction;
import net.sf.jsqlparser.statement.select.Values;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Translates the FROM clause of one query block into a tree of binary {@link Join}s over leaves
 * ({@link Scan} or {@link Derived}), as written: {@code a JOIN b ON .. LEFT JOIN c ON ..} is
 * {@code ((a ⋈ b) ⟕ c)}, commas and CROSS JOIN are inner joins on {@code true}. The ON
 * conjuncts of an inner join come as filters above it, to be placed like WHERE's afterwards
 * ({@link dev.pgtrickle.ivm.rewrite.InnerJoins}); outer joins keep their ON clause whole.
 */
final class FromTranslator {

    /**
     * @param plan the join tree
     * @param mergesColumns whether a JOIN ... USING merges columns (which {@code *} would show once)
     * @param spelledAliases each alias as spelled in the query text
     * @param fullyMerged the columns a FULL JOIN ... USING merges, by name: PostgreSQL prints a
     *     reference to one bare, and it means the value of whichever side has a row
     */
    record FromClause(FromPlan plan, boolean mergesColumns, Map<String, String> spelledAliases,
                      Map<String, MergedColumn> fullyMerged) {

        FromClause {
            spelledAliases = Map.copyOf(spelledAliases);
            fullyMerged = Map.copyOf(fullyMerged);
        }
    }

    /**
     * A column merged by JOIN ... USING, as spelled in the query, from the inputs spelled
     * {@code left} and {@code right}.
     */
    record MergedColumn(String left, String right, String column) {

        /**
         * Its value after a FULL JOIN: {@code COALESCE(left.column, right.column)}, a new tree
         * each time (trees are rewritten in place).
         */
        Expression value() {
            return new Function().withName("COALESCE").withParameters(
                    new Column(new Table(left), column), new Column(new Table(right), column));
        }
    }

    private final QueryTranslator queries;
    private final CteScope scope;
    /** Each leaf's alias as spelled in the query (for the conditions written for USING). */
    private final Map<String, String> spelledAliases = new HashMap<>();
    private boolean mergesColumns;
    private final Map<String, MergedColumn> fullyMerged = new HashMap<>();

    FromTranslator(QueryTranslator queries, CteScope scope) {
        this.queries = queries;
        this.scope = scope;
    }

    FromClause translate(PlainSelect block) throws UnsupportedQueryException {
        if (block.isUsingOnly()) {
            throw new UnsupportedQueryException("FROM ONLY " + sql(block.getFromItem()),
                    "FROM ONLY is not supported yet");
        }
        FromPlan plan = joins(item(block.getFromItem()), block.getJoins());
        return new FromClause(plan, mergesColumns, spelledAliases, fullyMerged);
    }

    private FromPlan item(FromItem item) throws UnsupportedQueryException {
        if (item instanceof Table table) {
            return table(table);
        } else if (item instanceof LateralSubSelect lateral) {
            throw new UnsupportedQueryException(sql(lateral), "a LATERAL subquery first in FROM reads nothing before"
                    + " it; write it without LATERAL");
        } else if (item instanceof ParenthesedSelect subquery) {
            return subquery(subquery);
        } else if (item instanceof ParenthesedFromItem group) {
            return group(group);
        } else if (item instanceof TableFunction function) {
            return functionScan(function);
        } else if (item instanceof Values values) {
            throw new UnsupportedQueryException(sql(values), "VALUES lists are not supported yet");
        }
        throw new UnsupportedQueryException(sql(item), "this kind of FROM item is not supported yet");
    }

    private FromPlan table(Table table) throws UnsupportedQueryException {
        if (table.getSampleClause() != null) {
            throw new UnsupportedQueryException(sql(table), "TABLESAMPLE is not supported yet");
        }
        if (table.getNameParts().size() > 2) {
            throw new UnsupportedQueryException(sql(table), "names with a database part are not supported");
        }
        String spelledAlias = table.getAlias() == null ? table.getName() : table.getAlias().getName();
        String alias = queries.text().name(spelledAlias);
        spelledAliases.put(alias, spelledAlias);
        List<String> aliasColumns = columnList(table.getAlias());
        String name = queries.text().name(table.getName());
        CteScope cte = table.getSchemaName() == null ? scope.find(name) : null;
        if (cte != null && cte.self()) {
            return new RecursiveRef(cte.name(), alias, renamed(cte.columns(), aliasColumns, table));
        }
        if (cte != null) {
            QueryPlan body = queries.cte(cte);
            List<String> columns = cte.columns().isEmpty() ? body.columns() : renamed(body.columns(), cte.columns(), table);
            return new Derived(body, alias, renamed(columns, aliasColumns, table));
        }
        String schema = table.getSchemaName() == null ? null : queries.text().name(table.getSchemaName());
        Relation relation = queries.catalog().resolve(schema, name);
        if (relation instanceof Relation.SourceTable source) {
            if (aliasColumns.isEmpty()) {
                return new Scan(source.source(), alias, queries.columnUse().used(alias, source.source().columns()));
            }
            // FROM t AS x (a, b): the table under an alias of its own, its columns renamed by a
            // projection, as PostgreSQL reads it.
            String inner = queries.subqueryAlias();
            List<OutputColumn> all = new ArrayList<>();
            for (String column : source.source().columns()) {
                all.add(new OutputColumn(column, Sql.ident(inner) + "." + Sql.ident(column)));
            }
            Project columns = new Project(new Scan(source.source(), inner), all);
            return new Derived(columns, alias, renamed(columns.columns(), aliasColumns, table));
        }
        Relation.View view = (Relation.View) relation;
        QueryPlan body = new QueryParser().parse(view.definition(), queries.catalog());
        return new Derived(body, alias, renamed(body.columns(), aliasColumns, table));
    }

    /**
     * {@code tree} with a set-returning function called per row ({@code LATERAL} or not: a
     * function in FROM sees the items before it). PostgreSQL prints the function's columns as the
     * alias's column list.
     */
    private FromPlan lateralFunction(FromPlan tree, TableFunction function, String on) throws UnsupportedQueryException {
        return new LateralFunction(tree, call(function), on);
    }

    /**
     * A function as the first item of FROM: its arguments must be constants, as nothing precedes
     * it (a function reading an outer query's columns would be a correlated input).
     */
    private FromPlan functionScan(TableFunction function) throws UnsupportedQueryException {
        for (Expression called : calls(function)) {
            if (!queries.expressions().aliases(called).isEmpty()) {
                throw new UnsupportedQueryException(sql(function), "a function first in FROM that reads an outer"
                        + " query's columns is not supported yet");
            }
        }
        return new FunctionScan(call(function));
    }

    /**
     * A set-returning function in FROM: PostgreSQL prints its columns as the alias's column list,
     * except for JSON_TABLE, whose COLUMNS clause names them.
     */
    private FunctionCall call(TableFunction function) throws UnsupportedQueryException {
        if (function.getAlias() == null) {
            throw new UnsupportedQueryException(sql(function), "this kind of function in FROM is not supported yet");
        }
        String spelledAlias = function.getAlias().getName();
        String alias = queries.text().name(spelledAlias);
        spelledAliases.put(alias, spelledAlias);
        if (function.getFunction() instanceof JsonTableFunction json) {
            return new FunctionCall(sql(json), false, alias, jsonTableColumns(json, sql(function)), true);
        }
        if (columnList(function.getAlias()).isEmpty()) {
            throw new UnsupportedQueryException(sql(function), "this kind of function in FROM is not supported yet");
        }
        boolean ordinality = function.getWithClause() != null
                && function.getWithClause().toUpperCase(java.util.Locale.ROOT).contains("ORDINALITY");
        List<String> calls = new ArrayList<>();
        for (Expression called : calls(function)) {
            calls.add(sql(called));
        }
        String call = function.isRowsFrom() ? "ROWS FROM (" + String.join(", ", calls) + ")" : calls.get(0);
        return new FunctionCall(call, ordinality, alias, columnList(function.getAlias()), false);
    }

    /**
     * A LATERAL subquery after {@code left}: a plain SELECT reading the rows before it only in
     * equalities of its WHERE ({@code inner = outer}), with an optional ORDER BY … LIMIT / OFFSET
     * (which an aggregate may not have). {@code on} is a LEFT JOIN's condition, {@code null} for
     * an inner join.
     */
    private FromPlan lateralSubquery(FromPlan left, LateralSubSelect lateral, String on) throws UnsupportedQueryException {
        String construct = sql(lateral);
        if (lateral.getAlias() == null || !(lateral.getSelect() instanceof PlainSelect body)
                || body.getWithItemsList() != null || body.getFetch() != null) {
            throw new UnsupportedQueryException(construct, "a LATERAL subquery is maintained as a plain SELECT with an"
                    + " alias (ORDER BY, LIMIT and OFFSET allowed), not as this");
        }
        Set<String> outer = left.aliases();
        List<String> orderBy = new ArrayList<>();
        if (body.getOrderByElements() != null) {
            for (OrderByElement element : body.getOrderByElements()) {
                orderBy.add(queries.expressions().scalar(element.getExpression()) + (element.isAsc() ? "" : " DESC")
                        + (element.getNullOrdering() == null ? ""
                                : element.getNullOrdering() == OrderByElement.NullOrdering.NULLS_FIRST ? " NULLS FIRST"
                                        : " NULLS LAST"));
            }
        }
        Long limit = body.getLimit() == null || body.getLimit().isLimitAll() || body.getLimit().isLimitNull() ? null
                : queries.constant(body.getLimit().getRowCount(), construct);
        Long offset = body.getOffset() == null ? null : queries.constant(body.getOffset().getOffset(), construct);
        body.setOrderByElements(null);
        body.setLimit(null);
        body.setOffset(null);

        List<String> innerKeys = new ArrayList<>();
        List<String> outerKeys = new ArrayList<>();
        List<Expression> local = new ArrayList<>();
        if (body.getWhere() != null) {
            for (Expression conjunct : Expressions.conjuncts(body.getWhere())) {
                if (queries.expressions().aliases(conjunct).stream().noneMatch(outer::contains)) {
                    local.add(conjunct);
                } else if (!correlation(conjunct, outer, innerKeys, outerKeys)) {
                    throw new UnsupportedQueryException(sql(conjunct), "a LATERAL subquery is maintained where it reads"
                            + " the rows before it only in equalities of its WHERE (inner expression = outer"
                            + " expression)");
                }
            }
        }
        body.setWhere(local.isEmpty() ? null : Expressions.and(local));
        if (queries.expressions().aliases(body).stream().anyMatch(outer::contains)) {
            throw new UnsupportedQueryException(construct, "a LATERAL subquery is maintained where it reads the rows"
                    + " before it only in equalities of its WHERE, not in its SELECT list, GROUP BY or HAVING");
        }
        QueryPlan query = queries.query(body, scope);
        if (!(query instanceof Project) && !(query instanceof Aggregate)) {
            throw new UnsupportedQueryException(construct, "DISTINCT, window functions and set operations in a LATERAL"
                    + " subquery are not supported yet");
        }
        if (query instanceof Aggregate && (!orderBy.isEmpty() || limit != null || offset != null)) {
            throw new UnsupportedQueryException(construct, "ORDER BY, LIMIT or OFFSET with an aggregate in a LATERAL"
                    + " subquery is not supported yet");
        }
        FromPlan inner = query instanceof Project project ? project.input() : ((Aggregate) query).input();
        if (inner.aliases().stream().anyMatch(outer::contains)) {
            throw new UnsupportedQueryException(construct, "a LATERAL subquery reusing an alias of the FROM items before"
                    + " it is not supported yet; rename one");
        }
        String spelledAlias = lateral.getAlias().getName();
        String alias = queries.text().name(spelledAlias);
        spelledAliases.put(alias, spelledAlias);
        return new LateralSubquery(left, query, innerKeys, outerKeys, orderBy, limit, offset, alias,
                renamed(query.columns(), columnList(lateral.getAlias()), lateral), on);
    }

    /**
     * Reads {@code conjunct} as {@code inner = outer}, an expression over the subquery's own items
     * equal to one over the items before it ({@code outer}), adding both sides; false when it is not.
     */
    private boolean correlation(Expression conjunct, Set<String> outer, List<String> innerKeys, List<String> outerKeys)
            throws UnsupportedQueryException {
        if (!(Expressions.unparenthesized(conjunct) instanceof EqualsTo equals)) {
            return false;
        }
        for (Expression[] sides : List.of(new Expression[] {equals.getLeftExpression(), equals.getRightExpression()},
                new Expression[] {equals.getRightExpression(), equals.getLeftExpression()})) {
            Set<String> inner = queries.expressions().aliases(sides[0]);
            Set<String> before = queries.expressions().aliases(sides[1]);
            if (!inner.isEmpty() && inner.stream().noneMatch(outer::contains) && !before.isEmpty()
                    && outer.containsAll(before)) {
                innerKeys.add(queries.expressions().scalar(sides[0]));
                outerKeys.add(queries.expressions().scalar(sides[1]));
                return true;
            }
        }
        return false;
    }

    /** The functions a FROM item calls: one, or those of ROWS FROM (…). */
    private static List<Expression> calls(TableFunction function) {
        return function.isRowsFrom() ? List.copyOf(function.getFunctions()) : List.of(function.getFunction());
    }

    /** The columns a JSON_TABLE's COLUMNS clause names; NESTED PATH is refused. */
    private List<String> jsonTableColumns(JsonTableFunction json, String construct) throws UnsupportedQueryException {
        List<String> columns = new ArrayList<>();
        for (JsonTableFunction.JsonTableColumnDefinition definition : json.getColumnsClause().getColumnDefinitions()) {
            if (!(definition instanceof JsonTableFunction.JsonTableValueColumnDefinition value)) {
                throw new UnsupportedQueryException(construct, "JSON_TABLE with NESTED PATH is not supported yet");
            }
            columns.add(queries.text().name(value.getColumnName()));
        }
        return columns;
    }

    /** The names of a FROM item's column alias list, empty when it has none. */
    private List<String> columnList(Alias alias) {
        List<String> names = new ArrayList<>();
        if (alias != null && alias.getAliasColumns() != null) {
            for (Alias.AliasColumn column : alias.getAliasColumns()) {
                names.add(queries.text().name(column.name));
            }
        }
        return names;
    }

    private FromPlan subquery(ParenthesedSelect subquery) throws UnsupportedQueryException {
        Alias given = subquery.getAlias();
        if (given == null) {
            throw new UnsupportedQueryException(sql(subquery), "a subquery in FROM needs an alias");
        }
        String spelledAlias = given.getName();
        String alias = queries.text().name(spelledAlias);
        spelledAliases.put(alias, spelledAlias);
        QueryPlan query = queries.query(subquery, scope);
        return new Derived(query, alias, renamed(query.columns(), columnList(given), subquery));
    }

    /** {@code columns} under {@code names}; fewer names keep the remaining columns' own, as in PostgreSQL. */
    private List<String> renamed(List<String> columns, List<String> names, Object item) throws UnsupportedQueryException {
        if (names.size() > columns.size()) {
            throw new UnsupportedQueryException(sql(item), "more column names than columns");
        }
        List<String> all = new ArrayList<>(names);
        all.addAll(columns.subList(names.size(), columns.size()));
        return all;
    }

    private FromPlan group(ParenthesedFromItem group) throws UnsupportedQueryException {
        if (group.getFromItem() instanceof Values values) {
            throw new UnsupportedQueryException(sql(group), "VALUES lists are not supported yet");
        }
        if (group.getAlias() != null) {
            throw new UnsupportedQueryException(sql(group), "an alias on a parenthesized join is not supported yet");
        }
        return joins(item(group.getFromItem()), group.getJoins());
    }

    /** {@code left} joined with each of {@code joins} in turn. */
    private FromPlan joins(FromPlan left, List<net.sf.jsqlparser.statement.select.Join> joins)
            throws UnsupportedQueryException {
        FromPlan tree = left;
        if (joins == null) {
            return tree;
        }
        for (net.sf.jsqlparser.statement.select.Join join : joins) {
            if (join.isNatural()) {
                throw new UnsupportedQueryException(sql(join), "NATURAL JOIN is not supported yet");
            }
            if (join.isApply() || join.isSemi() || join.isStraight() || join.isWindowJoin()) {
                throw new UnsupportedQueryException(sql(join), "this kind of join is not supported");
            }
            JoinKind kind = join.isFull() ? JoinKind.FULL
                    : join.isLeft() ? JoinKind.LEFT : join.isRight() ? JoinKind.RIGHT : JoinKind.INNER;
            if (join.getFromItem() instanceof LateralSubSelect lateral && (kind == JoinKind.INNER || kind == JoinKind.LEFT)) {
                tree = lateralSubquery(tree, lateral, kind == JoinKind.INNER ? null : leftJoinCondition(join));
                if (kind == JoinKind.INNER) {
                    for (Expression condition : join.getOnExpressions()) {
                        tree = new Filter(tree, queries.expressions().condition(condition));
                    }
                }
                continue;
            }
            if (join.getFromItem() instanceof TableFunction function) {
                if (kind == JoinKind.LEFT) {
                    tree = lateralFunction(tree, function, leftJoinCondition(join));
                    continue;
                }
                if (kind != JoinKind.INNER) {
                    throw new UnsupportedQueryException(sql(join), "a RIGHT or FULL join with a function in FROM is not"
                            + " supported yet");
                }
                tree = lateralFunction(tree, function, null);
                for (Expression on : join.getOnExpressions()) {
                    for (Expression conjunct : Expressions.conjuncts(on)) {
                        for (Condition condition : queries.expressions().conditions(conjunct)) {
                            tree = new Filter(tree, condition);
                        }
                    }
                }
                continue;
            }
            FromPlan right = item(join.getFromItem());
            List<Condition> conditions = new ArrayList<>();
            for (Expression on : join.getOnExpressions()) {
                refuseFullyMergedIn(on, sql(join));
                // An inner join's ON conjuncts are placed one by one, like WHERE's (InnerJoins).
                if (kind == JoinKind.INNER) {
                    for (Expression conjunct : Expressions.conjuncts(on)) {
                        conditions.addAll(queries.expressions().conditions(conjunct));
                    }
                } else {
                    conditions.add(queries.expressions().condition(on));
                }
            }
            for (Column column : join.getUsingColumns()) {
                String name = queries.text().name(column.getColumnName());
                String construct = sql("USING (" + column.getColumnName() + ")");
                MergedColumn merged = new MergedColumn(spelledAliases.get(onlyInputWith(name, tree, construct)),
                        spelledAliases.get(onlyInputWith(name, right, construct)), column.getColumnName());
                conditions.add(usingCondition(merged, name));
                mergesColumns = true;
                if (kind == JoinKind.FULL) {
                    fullyMerged.put(name, merged);
                }
            }
            if (kind == JoinKind.INNER) {
                tree = new Join(kind, tree, right, Condition.TRUE);
                for (Condition condition : conditions) {
                    tree = new Filter(tree, condition);
                }
            } else {
                tree = new Join(kind, tree, right, Condition.all(conditions));
            }
        }
        return tree;
    }

    /** A LEFT JOIN's ON condition as one predicate ({@code true} where it has none). */
    private String leftJoinCondition(net.sf.jsqlparser.statement.select.Join join) throws UnsupportedQueryException {
        List<String> on = new ArrayList<>();
        for (Expression condition : join.getOnExpressions()) {
            on.add(queries.expressions().condition(condition).sql());
        }
        return on.isEmpty() ? "true" : Sql.and(on);
    }

    /**
     * A later join's ON condition naming a column merged by FULL JOIN ... USING: PostgreSQL
     * prints it bare there too, and it is not one input's column.
     */
    private void refuseFullyMergedIn(Expression on, String construct) throws UnsupportedQueryException {
        if (fullyMerged.isEmpty()) {
            return;
        }
        ColumnUse use = ColumnUse.of(sql(on));
        for (String name : fullyMerged.keySet()) {
            if (use.namesBare(name)) {
                throw new UnsupportedQueryException(construct, "the join condition refers to " + name
                        + ", merged by an earlier FULL JOIN ... USING; write that join with ON");
            }
        }
    }

    /** {@code USING (c)} as {@code (left.c = right.c)}. */
    private Condition usingCondition(MergedColumn merged, String name) throws UnsupportedQueryException {
        return Condition.equal(
                Condition.Operand.column(sql(merged.left() + "." + merged.column()), queries.text().name(merged.left()), name),
                Condition.Operand.column(sql(merged.right() + "." + merged.column()), queries.text().name(merged.right()), name));
    }

    /** The alias of the only input on {@code side} with the column. */
    private static String onlyInputWith(String column, FromPlan side, String construct)
            throws UnsupportedQueryException {
        List<Binding> having = side.bindings().stream().filter(b -> b.columns().contains(column)).toList();
        if (having.size() != 1) {
            throw new UnsupportedQueryException(construct, (having.isEmpty() ? "no" : "more than one")
                    + " input on one side of the join has the column " + column + "; write the join with ON");
        }
        return having.get(0).alias();
    }

    private String sql(Object node) {
        return queries.text().sql(node);
    }
}
