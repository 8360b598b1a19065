package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.operators.relational.InExpression;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Uncorrelated scalar subqueries in the SELECT list, WHERE and HAVING of a query block, as
 * one-row inputs: each becomes a subquery in FROM, joined to the block's other inputs, and the
 * expression refers to its column. Only aggregates without GROUP BY qualify — exactly one row,
 * whatever their input — so the join neither drops nor repeats rows.
 */
final class ScalarSubqueries {

    private final QueryTranslator queries;
    private final CteScope scope;
    private final List<Derived> inputs = new ArrayList<>();

    ScalarSubqueries(QueryTranslator queries, CteScope scope) {
        this.queries = queries;
        this.scope = scope;
    }

    /** {@code e} with its scalar subqueries replaced by references to their inputs. */
    Expression replace(Expression e) throws UnsupportedQueryException {
        return queries.expressions().rewrite(e, node -> {
            if (node instanceof InExpression in && in.getRightExpression() instanceof Select list) {
                // A list, not a scalar: IN is decorrelated only as a conjunct of WHERE (Sublinks).
                throw new UnsupportedQueryException(queries.text().sql(list), "subqueries in expressions are not supported yet");
            }
            return node instanceof ParenthesedSelect subquery ? input(subquery) : null;
        });
    }

    /** {@code from} joined with the one-row inputs of the subqueries replaced so far. */
    FromPlan joinedTo(FromPlan from) {
        FromPlan plan = from;
        for (Derived input : inputs) {
            plan = new Join(JoinKind.INNER, plan, input, Condition.TRUE);
        }
        return plan;
    }

    private Column input(ParenthesedSelect subquery) throws UnsupportedQueryException {
        String construct = queries.text().sql(subquery);
        if (!(subquery.getSelect() instanceof PlainSelect block) || block.getFromItem() == null) {
            throw new UnsupportedQueryException(construct, "only scalar subqueries over a FROM clause are supported");
        }
        Set<String> referenced = queries.expressions().aliases(block);
        QueryPlan plan = queries.query(subquery, scope);
        if (!(plan instanceof Aggregate aggregate) || !aggregate.groupKeys().isEmpty() || aggregate.having() != null) {
            throw new UnsupportedQueryException(construct, "only scalar subqueries that aggregate without GROUP BY"
                    + " (exactly one row) are supported yet");
        }
        if (!aggregate.input().aliases().containsAll(referenced)) {
            throw new UnsupportedQueryException(construct, "correlated scalar subqueries are not supported yet");
        }
        String alias = queries.subqueryAlias();
        inputs.add(new Derived(plan, alias));
        return new Column(new Table(alias), Sql.ident(plan.columns().get(0)));
    }
}
