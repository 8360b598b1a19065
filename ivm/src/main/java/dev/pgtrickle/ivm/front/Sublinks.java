package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.FromPlan;
import dev.pgtrickle.ivm.plan.Join;
import dev.pgtrickle.ivm.plan.JoinKind;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.rewrite.InnerJoins;
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
 * refer to the outer query become the join condition. {@code x NOT IN (SELECT y ...)} is true only
 * when no y equals x and neither x nor any y is NULL, so its match condition is
 * {@code (x = y) IS NOT FALSE}.
 */
final class Sublinks {

    /** A WHERE conjunct that is a subquery test. */
    record Sublink(JoinKind kind, PlainSelect body, Expression tested) {
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
            return new Sublink(negated ? JoinKind.ANTI : JoinKind.SEMI, block(body), null);
        }
        if (e instanceof InExpression in && in.getRightExpression() instanceof Select body) {
            if (in.getLeftExpression() instanceof ParenthesedExpressionList<?> list && list.size() > 1) {
                throw new UnsupportedQueryException(queries.text().sql(in), "IN with several columns is not supported yet");
            }
            negated ^= in.isNot();
            return new Sublink(negated ? JoinKind.ANTI : JoinKind.SEMI, block(body), in.getLeftExpression());
        }
        return null;
    }

    /** {@code outer} semi- or anti-joined with the subquery. */
    FromPlan join(FromPlan outer, Sublink sublink) throws UnsupportedQueryException {
        PlainSelect body = sublink.body();
        FromPlan inner = new FromTranslator(queries, scope).translate(body).plan();
        Set<String> innerAliases = inner.aliases();
        List<Condition> local = new ArrayList<>();
        List<Condition> correlated = new ArrayList<>();
        if (body.getWhere() != null) {
            for (Expression conjunct : Expressions.conjuncts(body.getWhere())) {
                if (recognize(conjunct) != null) {
                    throw new UnsupportedQueryException(queries.text().sql(conjunct),
                            "a subquery inside a subquery is not supported yet");
                }
                Condition condition = queries.expressions().condition(conjunct);
                boolean own = !condition.aliases().isEmpty() && innerAliases.containsAll(condition.aliases());
                (own ? local : correlated).add(condition);
            }
        }
        if (sublink.tested() != null) {
            correlated.add(membership(sublink, body));
        }
        return new Join(sublink.kind(), outer, InnerJoins.place(inner, local), Condition.all(correlated));
    }

    /** {@code x IN (SELECT y ...)} as the condition {@code x = y}; for NOT IN, {@code (x = y) IS NOT FALSE}. */
    private Condition membership(Sublink sublink, PlainSelect body) throws UnsupportedQueryException {
        if (body.getSelectItems().size() != 1) {
            throw new UnsupportedQueryException(queries.text().sql(body), "the subquery of IN must return one column");
        }
        Expressions expressions = queries.expressions();
        Condition tested = expressions.condition(sublink.tested());
        Condition member = expressions.condition(body.getSelectItems().get(0).getExpression());
        Set<String> aliases = new HashSet<>(tested.aliases());
        aliases.addAll(member.aliases());
        String equal = "(" + tested.sql() + " = " + member.sql() + ")";
        return new Condition(sublink.kind() == JoinKind.ANTI ? "(" + equal + " IS NOT FALSE)" : equal, aliases);
    }

    /** The subquery as a plain block that the semi join can read: no grouping, DISTINCT ON, LIMIT or WITH. */
    private PlainSelect block(Select body) throws UnsupportedQueryException {
        Select select = body;
        while (select instanceof ParenthesedSelect parenthesized && parenthesized.getWithItemsList() == null) {
            select = parenthesized.getSelect();
        }
        if (!(select instanceof PlainSelect block) || select.getWithItemsList() != null
                || select.getLimit() != null || select.getOffset() != null || select.getFetch() != null
                || block.getGroupBy() != null || block.getHaving() != null || block.getFromItem() == null
                || block.getWindowDefinitions() != null
                || (block.getDistinct() != null && block.getDistinct().getOnSelectItems() != null)) {
            throw new UnsupportedQueryException(queries.text().sql(body),
                    "only subqueries that are a plain SELECT ... FROM ... WHERE are supported in EXISTS and IN");
        }
        for (var item : block.getSelectItems()) {
            if (queries.expressions().containsAggregate(item.getExpression())) {
                throw new UnsupportedQueryException(queries.text().sql(body),
                        "aggregates in an EXISTS or IN subquery are not supported yet");
            }
        }
        return block;
    }
}
