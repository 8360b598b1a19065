package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Binding;
import dev.pgtrickle.ivm.plan.Clock;
import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.sf.jsqlparser.expression.AnalyticExpression;
import net.sf.jsqlparser.expression.AnalyticType;
import net.sf.jsqlparser.expression.ArrayConstructor;
import net.sf.jsqlparser.expression.BinaryExpression;
import net.sf.jsqlparser.expression.BooleanValue;
import net.sf.jsqlparser.expression.CaseExpression;
import net.sf.jsqlparser.expression.CastExpression;
import net.sf.jsqlparser.expression.DoubleValue;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExtractExpression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.IntervalExpression;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.NullValue;
import net.sf.jsqlparser.expression.RowConstructor;
import net.sf.jsqlparser.expression.SignedExpression;
import net.sf.jsqlparser.expression.StringValue;
import net.sf.jsqlparser.expression.TimeKeyExpression;
import net.sf.jsqlparser.expression.TrimFunction;
import net.sf.jsqlparser.expression.operators.arithmetic.Addition;
import net.sf.jsqlparser.expression.operators.arithmetic.Multiplication;
import net.sf.jsqlparser.expression.operators.arithmetic.Subtraction;
import net.sf.jsqlparser.expression.operators.conditional.AndExpression;
import net.sf.jsqlparser.expression.operators.relational.ComparisonOperator;
import net.sf.jsqlparser.expression.operators.relational.EqualsTo;
import net.sf.jsqlparser.expression.operators.relational.ExistsExpression;
import net.sf.jsqlparser.expression.operators.relational.GreaterThan;
import net.sf.jsqlparser.expression.operators.relational.GreaterThanEquals;
import net.sf.jsqlparser.expression.operators.relational.MinorThan;
import net.sf.jsqlparser.expression.operators.relational.MinorThanEquals;
import net.sf.jsqlparser.expression.operators.relational.ParenthesedExpressionList;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.PlainSelect;
import net.sf.jsqlparser.statement.select.Select;
import net.sf.jsqlparser.statement.select.SelectItem;

/** The expression-level services the translators share, for one canonical text. */
final class Expressions {

    private final CanonicalText text;
    private final ExpressionTree tree;
    private final AggregateFunctions aggregates;

    /** The comparisons whose operands a condition records (see {@code Condition.Conjunct}). */
    private static final Map<Class<?>, String> COMPARISONS = Map.of(EqualsTo.class, "=", MinorThan.class, "<",
            MinorThanEquals.class, "<=", GreaterThan.class, ">", GreaterThanEquals.class, ">=");

    Expressions(CanonicalText text, RelationCatalog catalog) {
        this.text = text;
        this.tree = new ExpressionTree(text);
        this.aggregates = new AggregateFunctions(text, catalog);
    }

    /**
     * The SQL text of an expression evaluated row by row (WHERE, ON, the SELECT list of a query
     * without aggregates): no aggregate, window function or subquery may occur in it.
     */
    String scalar(Expression e) throws UnsupportedQueryException {
        tree.rewrite(e, node -> {
            if (aggregates.classify(node) != null) {
                throw new UnsupportedQueryException(text.sql(node), "aggregate functions are not allowed here");
            }
            return null;
        });
        return sql(e);
    }

    /** Within {@link #conditions}: a reading of the clock may occur (the conditions check how). */
    private int clockScope;

    /**
     * The SQL text of a whole aggregate call that is recomputed over a group's rows: no other
     * aggregate, window function or subquery may occur inside it.
     */
    String recomputedCall(Expression call) throws UnsupportedQueryException {
        tree.rewrite(call, node -> {
            if (node != call && aggregates.classify(node) != null) {
                throw new UnsupportedQueryException(text.sql(node), "aggregate function calls cannot be nested");
            }
            return null;
        });
        return sql(call);
    }

    /**
     * The window calls ({@code … OVER (…)}) of an output expression, outermost ones, and whether
     * an aggregate occurs outside them.
     */
    WindowUse windowUse(Expression e) throws UnsupportedQueryException {
        List<AnalyticExpression> calls = new ArrayList<>();
        boolean[] aggregate = {false};
        tree.rewrite(e, node -> {
            if (node instanceof AnalyticExpression a && a.getType() == AnalyticType.OVER) {
                if (a.getWindowName() != null) {
                    throw new UnsupportedQueryException(text.sql(a), NAMED_WINDOWS);
                }
                calls.add(a);
                return node;
            }
            aggregate[0] |= aggregates.classify(node) != null;
            return null;
        });
        return new WindowUse(calls, aggregate[0]);
    }

    record WindowUse(List<AnalyticExpression> calls, boolean aggregates) {
    }

    static final String NAMED_WINDOWS = "named windows (WINDOW w AS ...) are not supported yet; write the window"
            + " in OVER (...)";

    /** A condition evaluated row by row (see {@link #scalar}), the aliases it refers to and its conjuncts. */
    Condition condition(Expression e) throws UnsupportedQueryException {
        List<Condition.Conjunct> conjuncts = new ArrayList<>();
        for (Expression conjunct : conjuncts(e)) {
            Expression bare = unparenthesized(conjunct);
            String operator = bare instanceof ComparisonOperator comparison ? COMPARISONS.get(comparison.getClass()) : null;
            if (operator == null) {
                conjuncts.add(Condition.Conjunct.opaque(scalar(conjunct), aliases(conjunct)));
            } else {
                ComparisonOperator comparison = (ComparisonOperator) bare;
                conjuncts.add(new Condition.Conjunct(scalar(conjunct), aliases(conjunct), operator,
                        operand(comparison.getLeftExpression()), operand(comparison.getRightExpression())));
            }
        }
        return new Condition(scalar(e), aliases(e), conjuncts);
    }

    /**
     * A conjunct of WHERE (or of an inner join's ON) as a condition, followed by the conditions
     * it implies that can be placed lower ({@link ImpliedConditions}).
     */
    List<Condition> conditions(Expression conjunct) throws UnsupportedQueryException {
        clockScope++;
        try {
            List<Condition> conditions = new ArrayList<>(List.of(condition(conjunct)));
            conditions.addAll(ImpliedConditions.of(conjunct, this));
            clockTerms(conjunct);
            for (Condition condition : conditions) {
                Clock.bounds(condition);
            }
            return conditions;
        } finally {
            clockScope--;
        }
    }

    /**
     * Refuses a comparison with the clock whose clock side is more than the clock plus or minus
     * constants, which might not grow with it ({@link Clock.Bound}).
     */
    private void clockTerms(Expression conjunct) throws UnsupportedQueryException {
        if (unparenthesized(conjunct) instanceof ComparisonOperator comparison) {
            for (Expression side : List.of(comparison.getLeftExpression(), comparison.getRightExpression())) {
                if (Clock.reads(text.sql(side)) && !isClockTerm(side)) {
                    throw Clock.notMaintained(text.sql(conjunct));
                }
            }
        }
    }

    /** The clock, or a clock term plus or minus a constant (or a constant plus a clock term). */
    private boolean isClockTerm(Expression e) throws UnsupportedQueryException {
        Expression bare = unparenthesized(e);
        if (bare instanceof Addition || bare instanceof Subtraction) {
            BinaryExpression sum = (BinaryExpression) bare;
            return isClockTerm(sum.getLeftExpression()) && isConstant(sum.getRightExpression())
                    || bare instanceof Addition && isConstant(sum.getLeftExpression()) && isClockTerm(sum.getRightExpression());
        }
        Expression clock = bare instanceof CastExpression cast ? unparenthesized(cast.getLeftExpression()) : bare;
        return clock instanceof Function && text.sql(clock).equals(Clock.NOW);
    }

    /** An expression of literals and casts only. */
    private boolean isConstant(Expression e) throws UnsupportedQueryException {
        boolean[] constant = {true};
        tree.rewrite(e, node -> {
            constant[0] &= node instanceof StringValue || node instanceof LongValue || node instanceof DoubleValue
                    || node instanceof CastExpression || node instanceof ParenthesedExpressionList
                    || node instanceof Addition || node instanceof Subtraction || node instanceof Multiplication
                    || node instanceof SignedExpression || node instanceof IntervalExpression;
            return null;
        });
        return constant[0];
    }

    /** An expression as an operand of an equality, naming its column when it is a qualified one. */
    Condition.Operand operand(Expression e) throws UnsupportedQueryException {
        if (unparenthesized(e) instanceof Column c && c.getTable() != null && c.getTable().getName() != null) {
            return Condition.Operand.column(scalar(e), text.name(c.getTable().getName()), text.name(c.getColumnName()));
        }
        return Condition.Operand.expression(scalar(e), aliases(e));
    }

    /** The aliases the column references of {@code e} name. */
    Set<String> aliases(Expression e) throws UnsupportedQueryException {
        Set<String> aliases = new LinkedHashSet<>();
        tree.rewrite(e, node -> {
            if (node instanceof Column column && column.getTable() != null && column.getTable().getName() != null) {
                aliases.add(text.name(column.getTable().getName()));
            }
            return null;
        });
        return aliases;
    }

    /** The aliases a subquery's SELECT list, WHERE and HAVING name: its own and, if it is correlated, outer ones. */
    Set<String> aliases(PlainSelect block) throws UnsupportedQueryException {
        Set<String> aliases = new LinkedHashSet<>();
        for (SelectItem<?> item : block.getSelectItems()) {
            aliases.addAll(aliases(item.getExpression()));
        }
        if (block.getWhere() != null) {
            aliases.addAll(aliases(block.getWhere()));
        }
        if (block.getHaving() != null) {
            aliases.addAll(aliases(block.getHaving()));
        }
        return aliases;
    }

    /**
     * A rewriter that qualifies the unqualified references to the columns of {@code only}, in
     * place. PostgreSQL prints a query block with one FROM item without qualifiers, but the delta
     * rules put other relations (a subquery's, a change buffer's) in scope next to it. The alias
     * is written as the query spells it, so error messages show what the user would write.
     */
    ExpressionTree.Rewriter qualifier(Binding only, String spelledAlias) {
        return node -> {
            if (node instanceof Select || node instanceof ExistsExpression) {
                return node; // PostgreSQL qualifies every column inside a subquery
            }
            if (node instanceof Column column && (column.getTable() == null || column.getTable().getName() == null)
                    && only.columns().contains(text.name(column.getColumnName()))) {
                column.setTable(new Table(spelledAlias));
            }
            return null;
        };
    }

    /** The conjuncts of a condition: {@code a AND (b AND c)} is a, b, c. */
    static List<Expression> conjuncts(Expression condition) {
        List<Expression> conjuncts = new ArrayList<>();
        Expression e = condition;
        while (parenthesized(e) != null) {
            e = parenthesized(e);
        }
        if (e instanceof AndExpression and) {
            conjuncts.addAll(conjuncts(and.getLeftExpression()));
            conjuncts.addAll(conjuncts(and.getRightExpression()));
        } else {
            conjuncts.add(e);
        }
        return conjuncts;
    }

    /** The conjunction of {@code conjuncts}, each parenthesized. */
    static Expression and(List<Expression> conjuncts) {
        Expression all = null;
        for (Expression conjunct : conjuncts) {
            Expression term = new ParenthesedExpressionList<>(conjunct);
            all = all == null ? term : new AndExpression(all, term);
        }
        return all;
    }

    /** {@code e} without the parentheses around it. */
    static Expression unparenthesized(Expression e) {
        Expression inner = e;
        while (parenthesized(inner) != null) {
            inner = parenthesized(inner);
        }
        return inner;
    }

    /** Whether {@code e} calls a supported aggregate; it throws on aggregates that are not supported. */
    boolean containsAggregate(Expression e) throws UnsupportedQueryException {
        boolean[] found = {false};
        tree.rewrite(e, node -> {
            found[0] |= aggregates.classify(node) != null;
            return null;
        });
        return found[0];
    }

    AggregateFunctions.Call aggregate(Expression node) throws UnsupportedQueryException {
        return aggregates.classify(node);
    }

    Expression rewrite(Expression e, ExpressionTree.Rewriter rewriter) throws UnsupportedQueryException {
        return tree.rewrite(e, rewriter);
    }

    /**
     * The SQL text of {@code e}, self-delimiting so that it can be embedded in any larger
     * expression: parenthesized unless it is atomic. PostgreSQL parenthesizes operator expressions,
     * but JSqlParser drops parentheses it takes for a list's ({@code GROUP BY (a + 1)},
     * {@code count((a + 1))}). Doubled parentheses (PostgreSQL's {@code ON ((a = b))}) are reduced.
     */
    String sql(Expression e) throws UnsupportedQueryException {
        Expression shown = e;
        while (parenthesized(shown) instanceof ParenthesedExpressionList<?> inner && parenthesized(inner) != null) {
            shown = inner;
        }
        String sql = isAtomic(shown) ? text.sql(shown) : "(" + text.sql(shown) + ")";
        if (clockScope == 0 && Clock.reads(sql)) {
            throw Clock.notMaintained(sql);
        }
        return sql;
    }

    private static boolean isAtomic(Expression e) {
        return e instanceof Column || e instanceof StringValue || e instanceof LongValue || e instanceof DoubleValue
                || e instanceof NullValue || e instanceof BooleanValue || e instanceof TimeKeyExpression
                || e instanceof Function || e instanceof CaseExpression || e instanceof ParenthesedExpressionList
                || e instanceof ArrayConstructor || e instanceof ExtractExpression || e instanceof TrimFunction
                || e instanceof CastExpression;
    }

    /**
     * The text by which expressions are compared: outer parentheses do not count, as PostgreSQL
     * prints {@code GROUP BY (lower(x))} but {@code SELECT lower(x)}.
     */
    String comparable(Expression e) {
        return text.sql(unparenthesized(e));
    }

    /** The expression inside {@code (e)}, or {@code null} if {@code e} is not parenthesized. */
    private static Expression parenthesized(Expression e) {
        return e instanceof ParenthesedExpressionList<?> list && !(e instanceof RowConstructor) && list.size() == 1
                ? list.get(0) : null;
    }
}
