package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;

import java.util.ArrayList;
import java.util.List;

/**
 * HAVING conjuncts that test the groups against one uncorrelated scalar subquery, e.g. TPC-H
 * Q11's {@code HAVING sum(v) > (SELECT sum(v) * 0.0001 FROM …)}. Joined below the grouping,
 * the subquery's value would be part of every group's identity, so that each change of it
 * rebuilt every group. Instead the groups are semi-joined with its one row on the test, as a
 * WHERE conjunct's test is ({@code ScalarSubqueries#semiJoinTest}): a change of the value then
 * reaches only the groups whose test it flips, and the grouping is an aggregate inside the
 * query, whose groups the compiler may keep. The test's operands that are not the subquery's
 * value become hidden outputs {@code __pgt_having<n>} of the grouping; a projection above drops
 * them.
 */
final class HavingTests {

    /** A test: the subquery's one-row input, and the conjunct over it and the grouping's columns. */
    private record Test(FromPlan input, Expression conjunct) {
    }

    private final QueryTranslator queries;
    private final List<Test> tests = new ArrayList<>();
    private final List<SelectList.Output> hidden = new ArrayList<>();
    /** The grouping's alias, given when the first test is taken. */
    private String alias;

    HavingTests(QueryTranslator queries) {
        this.queries = queries;
    }

    /**
     * Takes {@code conjunct} (its subqueries replaced) as a test when {@code oneRow} — the input
     * of its only scalar subquery, uncorrelated — is not {@code null}; returns whether it did.
     */
    boolean take(Expression conjunct, FromPlan oneRow) throws UnsupportedQueryException {
        if (oneRow == null) {
            return false;
        }
        if (alias == null) {
            alias = queries.subqueryAlias();
        }
        String subquery = oneRow.aliases().iterator().next();
        tests.add(new Test(oneRow, hiddenOperands(conjunct, subquery)));
        return true;
    }

    boolean isEmpty() {
        return tests.isEmpty();
    }

    /** The grouping's outputs: the SELECT list, then the tests' hidden operands. */
    List<SelectList.Output> outputs(List<SelectList.Output> selected) {
        List<SelectList.Output> all = new ArrayList<>(selected);
        all.addAll(hidden);
        return all;
    }

    /** The groups that pass every test, with the SELECT list's columns. */
    QueryPlan apply(Aggregate groups, List<SelectList.Output> selected) throws UnsupportedQueryException {
        Expressions expressions = queries.expressions();
        FromPlan plan = new Derived(groups, alias);
        for (Test test : tests) {
            plan = new Join(JoinKind.SEMI, plan, test.input(), expressions.condition(test.conjunct()));
        }
        List<OutputColumn> columns = new ArrayList<>();
        for (SelectList.Output output : selected) {
            columns.add(new OutputColumn(output.name(), expressions.scalar(groupColumn(output.name()))));
        }
        return new Project(plan, columns);
    }

    /**
     * The conjunct with each largest part that does not read the subquery's value, but reads the
     * group (an aggregate call or a column), replaced by a hidden output of the grouping.
     */
    private Expression hiddenOperands(Expression conjunct, String subquery) throws UnsupportedQueryException {
        Expressions expressions = queries.expressions();
        return expressions.rewrite(conjunct, node -> {
            boolean readsGroup = expressions.containsAggregate(node) || !expressions.aliases(node).isEmpty();
            if (!readsGroup || expressions.aliases(node).contains(subquery)) {
                return node instanceof Column ? node : null;
            }
            String name = "__pgt_having" + (hidden.size() + 1);
            hidden.add(new SelectList.Output(name, node));
            return groupColumn(name);
        });
    }

    private Column groupColumn(String name) {
        return new Column(new Table(alias), Sql.ident(name));
    }
}
