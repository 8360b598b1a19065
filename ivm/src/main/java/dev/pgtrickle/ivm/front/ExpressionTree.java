package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import net.sf.jsqlparser.expression.AnalyticExpression;
import net.sf.jsqlparser.expression.AnalyticType;
import net.sf.jsqlparser.expression.AnyComparisonExpression;
import net.sf.jsqlparser.expression.ArrayConstructor;
import net.sf.jsqlparser.expression.ArrayExpression;
import net.sf.jsqlparser.expression.BinaryExpression;
import net.sf.jsqlparser.expression.BooleanValue;
import net.sf.jsqlparser.expression.CaseExpression;
import net.sf.jsqlparser.expression.CastExpression;
import net.sf.jsqlparser.expression.CollateExpression;
import net.sf.jsqlparser.expression.DoubleValue;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.ExtractExpression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.expression.JsonExpression;
import net.sf.jsqlparser.expression.LongValue;
import net.sf.jsqlparser.expression.NotExpression;
import net.sf.jsqlparser.expression.NullValue;
import net.sf.jsqlparser.expression.OracleNamedFunctionParameter;
import net.sf.jsqlparser.expression.SignedExpression;
import net.sf.jsqlparser.expression.StringValue;
import net.sf.jsqlparser.expression.TimeKeyExpression;
import net.sf.jsqlparser.expression.TimezoneExpression;
import net.sf.jsqlparser.expression.TrimFunction;
import net.sf.jsqlparser.expression.WhenClause;
import net.sf.jsqlparser.expression.operators.relational.Between;
import net.sf.jsqlparser.expression.operators.relational.ExistsExpression;
import net.sf.jsqlparser.expression.operators.relational.ExpressionList;
import net.sf.jsqlparser.expression.operators.relational.InExpression;
import net.sf.jsqlparser.expression.operators.relational.IsBooleanExpression;
import net.sf.jsqlparser.expression.operators.relational.IsNullExpression;
import net.sf.jsqlparser.expression.operators.relational.IsUnknownExpression;
import net.sf.jsqlparser.expression.operators.relational.LikeExpression;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.AllTableColumns;
import net.sf.jsqlparser.statement.select.OrderByElement;
import net.sf.jsqlparser.statement.select.Select;

import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Walks and rewrites JSqlParser expression trees. JSqlParser offers no generic way to reach or
 * replace the children of a node, so this class lists them for the node types PostgreSQL's
 * deparser produces. Any other node type is refused rather than skipped: a walk that missed a
 * subquery or a window function hidden in an unknown node would let an unsupported query through.
 */
final class ExpressionTree {

    /** Decides, top-down, whether a node is replaced; {@code null} keeps it and walks its children. */
    @FunctionalInterface
    interface Rewriter {
        Expression replacement(Expression node) throws UnsupportedQueryException;
    }

    private record Slot(Expression child, Consumer<Expression> replace) {
    }

    private final CanonicalText text;

    ExpressionTree(CanonicalText text) {
        this.text = text;
    }

    /**
     * Rewrites {@code root} in place where possible (so a tree is rewritten only once); returns
     * the new root.
     */
    Expression rewrite(Expression root, Rewriter rewriter) throws UnsupportedQueryException {
        Expression replacement = rewriter.replacement(root);
        if (replacement != null) {
            return replacement;
        }
        for (Slot slot : children(root)) {
            Expression rewritten = rewrite(slot.child(), rewriter);
            if (rewritten != slot.child()) {
                slot.replace().accept(rewritten);
            }
        }
        return root;
    }

    private List<Slot> children(Expression e) throws UnsupportedQueryException {
        List<Slot> slots = new ArrayList<>();
        if (isLeaf(e)) {
            return slots;
        } else if (e instanceof Column c) {
            addAll(slots, c.getArrayConstructor().getExpressions());
        } else if (e instanceof ExpressionList<?> list) {
            addAll(slots, list);
        } else if (e instanceof LikeExpression like && like.getEscape() != null) {
            slots.add(new Slot(like.getLeftExpression(), like::setLeftExpression));
            slots.add(new Slot(like.getRightExpression(), like::setRightExpression));
            slots.add(new Slot(like.getEscape(), like::setEscape));
        } else if (e instanceof BinaryExpression b) {
            slots.add(new Slot(b.getLeftExpression(), b::setLeftExpression));
            slots.add(new Slot(b.getRightExpression(), b::setRightExpression));
        } else if (e instanceof Function f) {
            functionChildren(f, slots);
        } else if (e instanceof AnalyticExpression a && a.getType() == AnalyticType.OVER && a.getWindowName() == null) {
            addIfPresent(slots, a.getExpression(), a::setExpression);
            addIfPresent(slots, a.getOffset(), a::setOffset);
            addIfPresent(slots, a.getDefaultValue(), a::setDefaultValue);
            if (a.getPartitionExpressionList() != null) {
                addAll(slots, a.getPartitionExpressionList());
            }
            if (a.getOrderByElements() != null) {
                for (OrderByElement element : a.getOrderByElements()) {
                    slots.add(new Slot(element.getExpression(), element::setExpression));
                }
            }
            addIfPresent(slots, a.getFilterExpression(), a::setFilterExpression);
        } else if (e instanceof AnalyticExpression a && a.getType() == AnalyticType.FILTER_ONLY) {
            addIfPresent(slots, a.getExpression(), a::setExpression);
            addIfPresent(slots, a.getOffset(), a::setOffset);
            addIfPresent(slots, a.getDefaultValue(), a::setDefaultValue);
            if (a.getFuncOrderBy() != null) {
                for (OrderByElement element : a.getFuncOrderBy()) {
                    slots.add(new Slot(element.getExpression(), element::setExpression));
                }
            }
            slots.add(new Slot(a.getFilterExpression(), a::setFilterExpression));
        } else if (e instanceof CastExpression c) {
            slots.add(new Slot(c.getLeftExpression(), c::setLeftExpression));
        } else if (e instanceof NotExpression n) {
            slots.add(new Slot(n.getExpression(), n::setExpression));
        } else if (e instanceof SignedExpression s) {
            slots.add(new Slot(s.getExpression(), s::setExpression));
        } else if (e instanceof IsNullExpression n) {
            slots.add(new Slot(n.getLeftExpression(), n::setLeftExpression));
        } else if (e instanceof IsBooleanExpression b) {
            slots.add(new Slot(b.getLeftExpression(), b::setLeftExpression));
        } else if (e instanceof IsUnknownExpression u) {
            slots.add(new Slot(u.getLeftExpression(), u::setLeftExpression));
        } else if (e instanceof CaseExpression c) {
            addIfPresent(slots, c.getSwitchExpression(), c::setSwitchExpression);
            for (WhenClause w : c.getWhenClauses()) {
                slots.add(new Slot(w.getWhenExpression(), w::setWhenExpression));
                slots.add(new Slot(w.getThenExpression(), w::setThenExpression));
            }
            addIfPresent(slots, c.getElseExpression(), c::setElseExpression);
        } else if (e instanceof InExpression in) {
            slots.add(new Slot(in.getLeftExpression(), in::setLeftExpression));
            slots.add(new Slot(in.getRightExpression(), in::setRightExpression));
        } else if (e instanceof Between b) {
            slots.add(new Slot(b.getLeftExpression(), b::setLeftExpression));
            slots.add(new Slot(b.getBetweenExpressionStart(), b::setBetweenExpressionStart));
            slots.add(new Slot(b.getBetweenExpressionEnd(), b::setBetweenExpressionEnd));
        } else if (e instanceof ArrayConstructor a) {
            addAll(slots, a.getExpressions());
        } else if (e instanceof ArrayExpression a) {
            slots.add(new Slot(a.getObjExpression(), a::setObjExpression));
            addIfPresent(slots, a.getIndexExpression(), a::setIndexExpression);
            addIfPresent(slots, a.getStartIndexExpression(), a::setStartIndexExpression);
            addIfPresent(slots, a.getStopIndexExpression(), a::setStopIndexExpression);
        } else if (e instanceof JsonExpression j) {
            slots.add(new Slot(j.getExpression(), j::setExpression));
            List<Map.Entry<Expression, String>> idents = j.getIdentList();
            for (int i = 0; i < idents.size(); i++) {
                int index = i;
                String operator = idents.get(i).getValue();
                slots.add(new Slot(idents.get(i).getKey(),
                        c -> idents.set(index, new AbstractMap.SimpleEntry<>(c, operator))));
            }
        } else if (e instanceof CollateExpression c) {
            slots.add(new Slot(c.getLeftExpression(), c::setLeftExpression));
        } else if (e instanceof ExtractExpression x) {
            slots.add(new Slot(x.getExpression(), x::setExpression));
        } else if (e instanceof TimezoneExpression t) {
            slots.add(new Slot(t.getLeftExpression(), t::setLeftExpression));
            addAll(slots, t.getTimezoneExpressions());
        } else if (e instanceof TrimFunction t) {
            addIfPresent(slots, t.getExpression(), t::setExpression);
            addIfPresent(slots, t.getFromExpression(), t::setFromExpression);
        } else {
            throw unsupported(e);
        }
        return slots;
    }

    private static boolean isLeaf(Expression e) {
        return (e instanceof Column c && c.getArrayConstructor() == null)
                || e instanceof StringValue || e instanceof LongValue || e instanceof DoubleValue
                || e instanceof NullValue || e instanceof BooleanValue || e instanceof TimeKeyExpression
                || (e instanceof AllColumns && !(e instanceof AllTableColumns));
    }

    private void functionChildren(Function f, List<Slot> slots) throws UnsupportedQueryException {
        if (f.getKeep() != null || f.getAttribute() != null || f.getHavingClause() != null
                || f.getLimit() != null || f.getChainedParameters() != null || f.getKeywordArguments() != null
                || f.getNullHandling() != null || f.getExtraKeyword() != null) {
            throw unsupported(f);
        }
        if (f.getParameters() != null) {
            List<Expression> parameters = cast(f.getParameters());
            for (int i = 0; i < parameters.size(); i++) {
                int index = i;
                if (parameters.get(i) instanceof OracleNamedFunctionParameter named) {
                    // PostgreSQL's "name => value"; the node has no setter, so it is rebuilt.
                    slots.add(new Slot(named.getExpression(), c -> parameters.set(index,
                            new OracleNamedFunctionParameter(named.getName(), c))));
                } else {
                    slots.add(new Slot(parameters.get(i), c -> parameters.set(index, c)));
                }
            }
        }
        if (f.getNamedParameters() != null) {
            addAll(slots, f.getNamedParameters());
        }
        if (f.getOrderByElements() != null) {
            for (OrderByElement element : f.getOrderByElements()) {
                slots.add(new Slot(element.getExpression(), element::setExpression));
            }
        }
    }

    private static void addAll(List<Slot> slots, List<? extends Expression> list) {
        List<Expression> expressions = cast(list);
        for (int i = 0; i < expressions.size(); i++) {
            int index = i;
            slots.add(new Slot(expressions.get(i), c -> expressions.set(index, c)));
        }
    }

    private static void addIfPresent(List<Slot> slots, Expression child, Consumer<Expression> replace) {
        if (child != null) {
            slots.add(new Slot(child, replace));
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Expression> cast(List<? extends Expression> list) {
        // Only ever used to put an expression back where an expression was.
        return (List<Expression>) list;
    }

    private UnsupportedQueryException unsupported(Expression e) {
        String sql = text.sql(e);
        if (e instanceof Select || e instanceof ExistsExpression || e instanceof AnyComparisonExpression) {
            return new UnsupportedQueryException(sql, "subqueries in expressions are not supported yet");
        }
        if (e instanceof AnalyticExpression a) {
            return AggregateFunctions.unsupportedAnalytic(a, sql);
        }
        return new UnsupportedQueryException(sql,
                "this expression form is not supported by the differential compiler yet");
    }
}
