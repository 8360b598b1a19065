package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import net.sf.jsqlparser.expression.Alias;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.FromItem;
import net.sf.jsqlparser.statement.select.LateralSubSelect;
import net.sf.jsqlparser.statement.select.ParenthesedFromItem;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.TableFunction;
import net.sf.jsqlparser.statement.select.Values;

import java.util.ArrayList;
import java.util.List;

/**
 * Translates the FROM clause of one query block into a leaf ({@link Scan} or {@link Derived}) or
 * an inner {@link Join} of leaves. Inner joins are associative, so PostgreSQL's parenthesized
 * join trees ({@code ((a JOIN b ON ..) JOIN c ON ..)}) flatten into one join with all ON
 * conditions.
 */
final class FromTranslator {

    /**
     * @param plan the leaf or the join
     * @param leaves the aliased inputs, in FROM order
     * @param mergesColumns whether a JOIN ... USING merges columns (which {@code *} would show once)
     */
    record FromClause(Plan plan, List<Plan> leaves, boolean mergesColumns) {
    }

    /** A leaf and its alias as spelled in the query (for the conditions written for USING). */
    private record Item(Plan leaf, String spelledAlias) {
    }

    private final QueryTranslator queries;
    private final CteScope scope;
    private final List<Item> items = new ArrayList<>();
    private final List<String> conditions = new ArrayList<>();
    private boolean mergesColumns;

    FromTranslator(QueryTranslator queries, CteScope scope) {
        this.queries = queries;
        this.scope = scope;
    }

    FromClause translate(PlainSelect block) throws UnsupportedQueryException {
        if (block.isUsingOnly()) {
            throw new UnsupportedQueryException("FROM ONLY " + sql(block.getFromItem()),
                    "FROM ONLY is not supported yet");
        }
        add(block.getFromItem());
        joins(block.getJoins(), 0);
        List<Plan> leaves = items.stream().map(Item::leaf).toList();
        Plan plan = leaves.size() == 1 ? leaves.get(0) : new Join(leaves, conditions);
        return new FromClause(plan, leaves, mergesColumns);
    }

    private void add(FromItem item) throws UnsupportedQueryException {
        if (item instanceof Table table) {
            table(table);
        } else if (item instanceof LateralSubSelect lateral) {
            throw new UnsupportedQueryException(sql(lateral), "LATERAL is not supported yet");
        } else if (item instanceof ParenthesedSelect subquery) {
            subquery(subquery);
        } else if (item instanceof ParenthesedFromItem group) {
            group(group);
        } else if (item instanceof TableFunction function) {
            throw new UnsupportedQueryException(sql(function), "table functions in FROM are not supported yet");
        } else if (item instanceof Values values) {
            throw new UnsupportedQueryException(sql(values), "VALUES lists are not supported yet");
        } else {
            throw new UnsupportedQueryException(sql(item), "this kind of FROM item is not supported yet");
        }
    }

    private void table(Table table) throws UnsupportedQueryException {
        if (table.getSampleClause() != null) {
            throw new UnsupportedQueryException(sql(table), "TABLESAMPLE is not supported yet");
        }
        if (table.getNameParts().size() > 2) {
            throw new UnsupportedQueryException(sql(table), "names with a database part are not supported");
        }
        String spelledAlias = spelledAlias(table.getAlias(), table.getName(), table);
        String alias = queries.text().name(spelledAlias);
        String name = queries.text().name(table.getName());
        CteScope cte = table.getSchemaName() == null ? scope.find(name) : null;
        Plan leaf;
        if (cte != null) {
            leaf = new Derived(queries.cte(cte), alias);
        } else {
            String schema = table.getSchemaName() == null ? null : queries.text().name(table.getSchemaName());
            Relation relation = queries.catalog().resolve(schema, name);
            if (relation instanceof Relation.SourceTable source) {
                leaf = new Scan(source.source(), alias);
            } else {
                Relation.View view = (Relation.View) relation;
                leaf = new Derived(new QueryParser().parse(view.definition(), queries.catalog()), alias);
            }
        }
        items.add(new Item(leaf, spelledAlias));
    }

    private void subquery(ParenthesedSelect subquery) throws UnsupportedQueryException {
        if (subquery.getAlias() == null) {
            throw new UnsupportedQueryException(sql(subquery), "a subquery in FROM needs an alias");
        }
        String spelledAlias = spelledAlias(subquery.getAlias(), null, subquery);
        Plan query = queries.query(subquery, scope);
        items.add(new Item(new Derived(query, queries.text().name(spelledAlias)), spelledAlias));
    }

    private void group(ParenthesedFromItem group) throws UnsupportedQueryException {
        if (group.getFromItem() instanceof Values values) {
            throw new UnsupportedQueryException(sql(group), "VALUES lists are not supported yet");
        }
        if (group.getAlias() != null) {
            throw new UnsupportedQueryException(sql(group), "an alias on a parenthesized join is not supported yet");
        }
        int start = items.size();
        add(group.getFromItem());
        joins(group.getJoins(), start);
    }

    /** Adds joins whose left side is everything added since {@code groupStart}. */
    private void joins(List<net.sf.jsqlparser.statement.select.Join> joins, int groupStart)
            throws UnsupportedQueryException {
        if (joins == null) {
            return;
        }
        for (net.sf.jsqlparser.statement.select.Join join : joins) {
            if (join.isLeft() || join.isRight() || join.isFull() || join.isOuter()) {
                throw new UnsupportedQueryException(sql(join), "outer joins are not supported yet");
            }
            if (join.isNatural()) {
                throw new UnsupportedQueryException(sql(join), "NATURAL JOIN is not supported yet");
            }
            if (join.isApply() || join.isSemi() || join.isStraight() || join.isWindowJoin()) {
                throw new UnsupportedQueryException(sql(join), "this kind of join is not supported");
            }
            int rightStart = items.size();
            add(join.getFromItem());
            for (Expression on : join.getOnExpressions()) {
                conditions.add(queries.expressions().scalar(on));
            }
            for (Column column : join.getUsingColumns()) {
                conditions.add(usingCondition(column, groupStart, rightStart));
                mergesColumns = true;
            }
        }
    }

    /** {@code USING (c)} as {@code (left.c = right.c)}, when each side has exactly one input with a column c. */
    private String usingCondition(Column column, int groupStart, int rightStart) throws UnsupportedQueryException {
        String name = queries.text().name(column.getColumnName());
        String construct = sql("USING (" + column.getColumnName() + ")");
        Item left = onlyInputWith(name, items.subList(groupStart, rightStart), construct);
        Item right = onlyInputWith(name, items.subList(rightStart, items.size()), construct);
        return sql("(" + left.spelledAlias() + "." + column.getColumnName() + " = "
                + right.spelledAlias() + "." + column.getColumnName() + ")");
    }

    private static Item onlyInputWith(String column, List<Item> side, String construct)
            throws UnsupportedQueryException {
        List<Item> having = side.stream().filter(item -> item.leaf().columns().contains(column)).toList();
        if (having.size() != 1) {
            throw new UnsupportedQueryException(construct, (having.isEmpty() ? "no" : "more than one")
                    + " input on one side of the join has the column " + column + "; write the join with ON");
        }
        return having.get(0);
    }

    private String spelledAlias(Alias alias, String otherwise, Object item) throws UnsupportedQueryException {
        if (alias == null) {
            return otherwise;
        }
        if (alias.getAliasColumns() != null && !alias.getAliasColumns().isEmpty()) {
            throw new UnsupportedQueryException(sql(item), "column aliases in FROM are not supported yet");
        }
        return alias.getName();
    }

    private String sql(Object node) {
        return queries.text().sql(node);
    }
}
