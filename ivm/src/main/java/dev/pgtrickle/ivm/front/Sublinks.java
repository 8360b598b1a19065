package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.Distinct;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.Project;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.NotExpression;
import net.sf.jsqlparser.expression.operators.relational.ExistsExpression;
import net.sf.jsqlparser.expression.operators.relational.InExpression;
import net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList;
import net.sf.jsqlparser.statement.select.ParenthesedSelect;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decorrelates the subqueries of WHERE conjuncts into semi and anti joins: {@code EXISTS (q)} and
 * {@code x IN (SELECT y ...)} keep the rows with a match, {@code NOT EXISTS} and {@code NOT IN}
 * those without one. The subquery's conditions on its own inputs stay inside it; those that
 * refer to the outer query become the join condition. A subquery that groups (GROUP BY, HAVING,
 * aggregates, DISTINCT) is an input of its own, joined on membership; it must not be correlated.
 * {@code NOT IN} keeps SQL's NULL rule (see {@link #membership}).
 */
final class Sublinks {

    /**
     * A WHERE conjunct that is a subquery test.
     *
     * @param tested the expressions {@code IN} tests, one per column of the subquery; empty for EXISTS
     */
    record Sublink(JoinKind kind, Select body, List<Expression> tested) {
    }

    private final QueryTranslator queries;
    private final CteScope scope;

    Sublinks(QueryTranslator queries, CteScope scope) {
        this.queries = queries;
        this.scope = scope;
    }

    /** The subquery test {@code conjunct} is, or {@code null} when it is none. */
    Sublink recognize(Expression conjunct) throws UnsupportedQueryException {
        Expression e = Expressions.unparenthesized(conjunct);
        boolean negated = false;
        if (e instanceof NotExpression not) {
            negated = true;
            e = Expressions.unparenthesized(not.getExpression());
        }
        if (e instanceof ExistsExpression exists && exists.getRightExpression() instanceof Select body) {
            return new Sublink(negated ? JoinKind.ANTI : JoinKind.SEMI, body, List.of());
        }
        if (e instanceof InExpression in && in.getRightExpression() instanceof Select body) {
            negated ^= in.isNot();
            List<Expression> tested = new ArrayList<>();
            if (in.getLeftExpression() instanceof ParenthesedExpressionList<?> list && list.size() > 1) {
                tested.addAll(list);
            } else {
                tested.add(in.getLeftExpression());
            }
            return new Sublink(negated ? JoinKind.ANTI : JoinKind.SEMI, body, tested);
        }
        return null;
    }

    /** {@code outer} semi- or anti-joined with the subquery. */
    FromPlan join(FromPlan outer, Sublink sublink) throws UnsupportedQueryException {
        PlainSelect body = block(sublink.body());
        if (!sublink.tested().isEmpty() && body.getSelectItems().size() != sublink.tested().size()) {
            throw new UnsupportedQueryException(queries.text().sql(sublink.body()), "the subquery of IN must return "
                    + (sublink.tested().size() == 1 ? "one column" : sublink.tested().size() + " columns, one per tested expression"));
        }
        if (isPlain(body)) {
            return decorrelated(outer, sublink, body);
        }
        return overGroupedInput(outer, sublink, body);
    }

    /**
     * A plain subquery: its own inputs and conditions inside, the correlation as the join
     * condition. Subqueries inside it are decorrelated into it the same way, as long as they are
     * correlated with it only, not with the query around it.
     */
    private FromPlan decorrelated(FromPlan outer, Sublink sublink, PlainSelect body) throws UnsupportedQueryException {
        FromPlan inner = new FromTranslator(queries, scope).translate(body).plan();
        ScalarSubqueries scalars = new ScalarSubqueries(queries, scope, inner.aliases());
        List<Condition> local = new ArrayList<>();
        List<Condition> correlated = new ArrayList<>();
        List<Sublink> nested = new ArrayList<>();
        if (body.getWhere() != null) {
            for (Expression conjunct : Expressions.conjuncts(body.getWhere())) {
                Sublink test = recognize(conjunct);
                if (test != null) {
                    nested.add(test);
                    continue;
                }
                // Replacing its scalar subqueries makes their aliases known.
                List<Condition> conditions = queries.expressions().conditions(scalars.replace(conjunct));
                Set<String> own = new HashSet<>(inner.aliases());
                own.addAll(scalars.aliases());
                for (Condition condition : conditions) {
                    (!condition.aliases().isEmpty() && own.containsAll(condition.aliases()) ? local : correlated)
                            .add(condition);
                }
            }
        }
        FromPlan subquery = scalars.placeUncorrelated(inner, local);
        for (Sublink test : nested) {
            subquery = join(subquery, test);
        }
        subquery = scalars.placeCorrelated(subquery, local);
        Set<String> visible = new HashSet<>(subquery.aliases());
        visible.addAll(outer.aliases());
        for (Condition condition : correlated) {
            if (!visible.containsAll(condition.aliases())) {
                throw new UnsupportedQueryException(condition.sql(), "a subquery correlated with a query more than one"
                        + " level out is not supported yet");
            }
        }
        if (sublink.tested().isEmpty()) {
            return new Join(sublink.kind(), outer, subquery, Condition.all(correlated));
        }
        List<Condition.Operand> members = new ArrayList<>();
        for (var item : body.getSelectItems()) {
            members.add(queries.expressions().operand(item.getExpression()));
        }
        return membership(outer, sublink, subquery, correlated, members);
    }

    /**
     * A subquery with GROUP BY, HAVING, aggregates or DISTINCT: an input of its own (whose delta
     * is that of the grouping), joined on membership. It must not be correlated.
     */
    private FromPlan overGroupedInput(FromPlan outer, Sublink sublink, PlainSelect body)
            throws UnsupportedQueryException {
        String construct = queries.text().sql(sublink.body());
        Set<String> referenced = queries.expressions().aliases(body);
        QueryPlan plan = queries.query(body, scope);
        if (!ownAliases(plan).containsAll(referenced)) {
            throw new UnsupportedQueryException(construct,
                    "correlated subqueries with GROUP BY, HAVING, aggregates or DISTINCT are not supported yet");
        }
        Derived input = new Derived(plan, queries.subqueryAlias());
        if (sublink.tested().isEmpty()) {
            return new Join(sublink.kind(), outer, input, Condition.TRUE);
        }
        List<Condition.Operand> members = new ArrayList<>();
        for (String column : plan.columns()) {
            members.add(Condition.Operand.column(Sql.ident(input.alias()) + "." + Sql.ident(column), input.alias(), column));
        }
        return membership(outer, sublink, input, List.of(), members);
    }

    private static Set<String> ownAliases(QueryPlan plan) {
        if (plan instanceof Aggregate aggregate) {
            return aggregate.input().aliases();
        }
        if (plan instanceof Project project) {
            return project.input().aliases();
        }
        if (plan instanceof Distinct distinct) {
            return ownAliases(distinct.input());
        }
        return Set.of();
    }

    /**
     * {@code (x1, …) IN (SELECT y1, … ...)}: a semi join on {@code x1 = y1 AND …}.
     * {@code x NOT IN (SELECT y ...)} holds when no member equals x, no member is NULL, and x is
     * not NULL (unless there are no members): three anti joins, each on a condition PostgreSQL
     * can hash or probe an index with, instead of one on {@code (x = y) IS NOT FALSE}, which it
     * could only evaluate row by row. With several columns a member blocks the row when the row
     * comparison is not false, that is when no column pair is known to differ: one anti join on
     * {@code (x1 = y1) IS NOT FALSE AND …}, evaluated row by row (splitting it by which columns
     * are NULL would take an anti join per combination). Correlated conditions apply to each.
     */
    private FromPlan membership(FromPlan outer, Sublink sublink, FromPlan subquery, List<Condition> correlated,
                                List<Condition.Operand> members) throws UnsupportedQueryException {
        List<Condition> equal = new ArrayList<>(correlated);
        for (int i = 0; i < members.size(); i++) {
            equal.add(Condition.equal(queries.expressions().operand(sublink.tested().get(i)), members.get(i)));
        }
        if (sublink.kind() == JoinKind.SEMI) {
            return new Join(JoinKind.SEMI, outer, subquery, Condition.all(equal));
        }
        if (members.size() > 1) {
            List<Condition> notFalse = new ArrayList<>(correlated);
            for (int i = 0; i < members.size(); i++) {
                Condition.Operand x = queries.expressions().operand(sublink.tested().get(i));
                Set<String> aliases = new HashSet<>(x.aliases());
                aliases.addAll(members.get(i).aliases());
                notFalse.add(new Condition("((" + x.sql() + " = " + members.get(i).sql() + ") IS NOT FALSE)", aliases));
            }
            return new Join(JoinKind.ANTI, outer, subquery, Condition.all(notFalse));
        }
        Condition.Operand tested = queries.expressions().operand(sublink.tested().get(0));
        Condition.Operand member = members.get(0);
        FromPlan plan = new Join(JoinKind.ANTI, outer, subquery, Condition.all(equal));
        plan = new Join(JoinKind.ANTI, plan, subquery, Condition.all(with(correlated,
                new Condition("(" + member.sql() + " IS NULL)", member.aliases()))));
        return new Join(JoinKind.ANTI, plan, subquery, Condition.all(with(correlated,
                new Condition("(" + tested.sql() + " IS NULL)", tested.aliases()))));
    }

    private static List<Condition> with(List<Condition> conditions, Condition more) {
        List<Condition> all = new ArrayList<>(conditions);
        all.add(more);
        return all;
    }

    /** The subquery as one block: no set operations, LIMIT, WITH or DISTINCT ON. */
    private PlainSelect block(Select body) throws UnsupportedQueryException {
        Select select = body;
        while (select instanceof ParenthesedSelect parenthesized && parenthesized.getWithItemsList() == null) {
            select = parenthesized.getSelect();
        }
        if (!(select instanceof PlainSelect block) || select.getWithItemsList() != null
                || select.getLimit() != null || select.getOffset() != null || select.getFetch() != null
                || block.getFromItem() == null || block.getWindowDefinitions() != null
                || (block.getDistinct() != null && block.getDistinct().getOnSelectItems() != null)) {
            throw new UnsupportedQueryException(queries.text().sql(body),
                    "only subqueries that are one SELECT ... FROM block are supported in EXISTS and IN");
        }
        return block;
    }

    /** Without grouping, aggregates or DISTINCT: the rows of its FROM clause that pass its WHERE. */
    private boolean isPlain(PlainSelect block) throws UnsupportedQueryException {
        if (block.getGroupBy() != null || block.getHaving() != null || block.getDistinct() != null) {
            return false;
        }
        for (var item : block.getSelectItems()) {
            if (queries.expressions().containsAggregate(item.getExpression())) {
                return false;
            }
        }
        return true;
    }
}
