package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.Filter;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Plan;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.UnionAll;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SetOperation;
import net.sf.jsqlparser.statement.select.SetOperationList;
import net.sf.jsqlparser.statement.select.UnionOp;
import net.sf.jsqlparser.statement.select.Values;
import net.sf.jsqlparser.statement.select.WithItem;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/** Translates the queries of one canonical text: set operations, WITH, and each query block. */
final class QueryTranslator {

    private final CanonicalText text;
    private final RelationCatalog catalog;
    private final Expressions expressions;
    /** Each CTE body is translated once: the translation rewrites its syntax tree in place. */
    private final Map<Select, Plan> cteBodies = new IdentityHashMap<>();

    QueryTranslator(CanonicalText text, RelationCatalog catalog) {
        this.text = text;
        this.catalog = catalog;
        this.expressions = new Expressions(text, catalog);
    }

    CanonicalText text() {
        return text;
    }

    RelationCatalog catalog() {
        return catalog;
    }

    Expressions expressions() {
        return expressions;
    }

    /** A query, with the CTEs of {@code scope} visible in it. ORDER BY alone is dropped: a table has no order. */
    Plan query(Select select, CteScope scope) throws UnsupportedQueryException {
        if (select.getLimit() != null || select.getOffset() != null || select.getFetch() != null) {
            throw new UnsupportedQueryException(topK(select), "TopK (ORDER BY ... LIMIT) is not supported yet");
        }
        CteScope inner = with(select.getWithItemsList(), scope);
        if (select instanceof PlainSelect block) {
            return block(block, inner);
        } else if (select instanceof SetOperationList operations) {
            return unionAll(operations, inner);
        } else if (select instanceof ParenthesedSelect parenthesized) {
            return query(parenthesized.getSelect(), inner);
        } else if (select instanceof Values) {
            throw new UnsupportedQueryException(text.sql(select), "VALUES lists are not supported yet");
        }
        throw new UnsupportedQueryException(text.sql(select), "only SELECT and UNION ALL queries are supported");
    }

    /** The plan of the CTE {@code cte} refers to; the same plan under every alias referring to it. */
    Plan cte(CteScope cte) throws UnsupportedQueryException {
        Plan plan = cteBodies.get(cte.body());
        if (plan == null) {
            plan = query(cte.body(), cte.outer());
            cteBodies.put(cte.body(), plan);
        }
        return plan;
    }

    private CteScope with(List<WithItem<?>> items, CteScope scope) throws UnsupportedQueryException {
        CteScope result = scope;
        if (items == null) {
            return result;
        }
        for (WithItem<?> item : items) {
            if (item.isRecursive()) {
                throw new UnsupportedQueryException(text.sql(item), "WITH RECURSIVE is not supported yet");
            }
            if (item.getWithItemList() != null && !item.getWithItemList().isEmpty()) {
                throw new UnsupportedQueryException(text.sql(item),
                        "column lists on WITH queries are not supported yet");
            }
            if (!(item.getStatement() instanceof ParenthesedSelect body)) {
                throw new UnsupportedQueryException(text.sql(item), "data-modifying WITH queries are not supported");
            }
            result = result.with(text.name(item.getAliasName()), body);
        }
        return result;
    }

    private Plan unionAll(SetOperationList operations, CteScope scope) throws UnsupportedQueryException {
        for (SetOperation operation : operations.getOperations()) {
            if (!(operation instanceof UnionOp union && union.isAll())) {
                throw new UnsupportedQueryException(operation.toString(),
                        "UNION without ALL, INTERSECT and EXCEPT are not supported yet; UNION ALL is");
            }
        }
        List<Plan> branches = new ArrayList<>();
        for (Select branch : operations.getSelects()) {
            Plan plan = query(branch, scope);
            // UNION ALL is associative: a parenthesized UNION ALL branch joins the list.
            if (plan instanceof UnionAll nested) {
                branches.addAll(nested.branches());
            } else {
                branches.add(plan);
            }
        }
        return new UnionAll(branches);
    }

    /** One SELECT ... FROM ... [WHERE] [GROUP BY] [HAVING] block. */
    private Plan block(PlainSelect block, CteScope scope) throws UnsupportedQueryException {
        if (block.getFromItem() == null) {
            throw new UnsupportedQueryException(text.sql(block),
                    "a query without FROM reads no table; it cannot be maintained incrementally");
        }
        if (block.getDistinct() != null && block.getDistinct().getOnSelectItems() != null) {
            throw new UnsupportedQueryException(text.sql(block.getDistinct()).strip(),
                    "DISTINCT ON is not supported yet");
        }
        if (block.getWindowDefinitions() != null) {
            throw new UnsupportedQueryException(text.sql(block.getWindowDefinitions().get(0)),
                    "window functions (OVER) are not supported yet");
        }
        if (block.getForMode() != null) {
            throw new UnsupportedQueryException("FOR " + block.getForMode().getValue(),
                    "row locking clauses are not supported");
        }
        FromTranslator.FromClause from = new FromTranslator(this, scope).translate(block);
        Plan plan = from.plan();
        if (block.getWhere() != null) {
            plan = new Filter(plan, expressions.scalar(block.getWhere()));
        }
        List<SelectList.Output> outputs = SelectList.outputs(block.getSelectItems(), from, text);
        if (block.getGroupBy() != null || block.getHaving() != null || anyAggregate(outputs)) {
            plan = new AggregateTranslator(expressions, text)
                    .translate(plan, outputs, block.getGroupBy(), block.getHaving());
        } else {
            List<OutputColumn> columns = new ArrayList<>();
            for (SelectList.Output output : outputs) {
                columns.add(new OutputColumn(output.name(), expressions.scalar(output.expression())));
            }
            plan = new Project(plan, columns);
        }
        return block.getDistinct() != null ? new Distinct(plan) : plan;
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
