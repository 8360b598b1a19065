package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Binding;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import dev.pgtrickle.ivm.sql.Sql;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.Function;
import net.sf.jsqlparser.schema.Column;
import net.sf.jsqlparser.schema.Table;
import net.sf.jsqlparser.statement.select.AllColumns;
import net.sf.jsqlparser.statement.select.AllTableColumns;
import net.sf.jsqlparser.statement.select.SelectItem;

import java.util.ArrayList;
import java.util.List;

/** The output columns of a SELECT list: names, and expressions with {@code *} expanded. */
final class SelectList {

    record Output(String name, Expression expression) {
    }

    private SelectList() {
    }

    static List<Output> outputs(List<SelectItem<?>> items, FromTranslator.FromClause from, CanonicalText text)
            throws UnsupportedQueryException {
        List<Output> outputs = new ArrayList<>();
        for (SelectItem<?> item : items) {
            Expression e = item.getExpression();
            if (e instanceof AllColumns star) {
                expand(star, from, text, outputs);
            } else {
                outputs.add(new Output(name(item, text), e));
            }
        }
        return outputs;
    }

    /** The alias, else what PostgreSQL would name the column (canonical text spells out the rest). */
    static String name(SelectItem<?> item, CanonicalText text) {
        if (item.getAlias() != null) {
            return text.name(item.getAlias().getName());
        }
        if (item.getExpression() instanceof Column c) {
            return text.name(c.getColumnName());
        }
        if (item.getExpression() instanceof Function f) {
            List<String> parts = f.getMultipartName();
            return text.name(parts.get(parts.size() - 1));
        }
        return "?column?";
    }

    // Canonical text never contains "*" (PostgreSQL expands it when the view is created); this
    // serves hand-written input, minus the column merging of JOIN ... USING.
    private static void expand(AllColumns star, FromTranslator.FromClause from, CanonicalText text,
                               List<Output> outputs) throws UnsupportedQueryException {
        if (from.mergesColumns()) {
            throw new UnsupportedQueryException(text.sql(star), "* over JOIN ... USING is not supported yet");
        }
        String only = star instanceof AllTableColumns t ? text.name(t.getTable().getName()) : null;
        for (Binding binding : from.plan().bindings()) {
            String alias = binding.alias();
            if (only != null && !only.equals(alias)) {
                continue;
            }
            for (String column : binding.columns()) {
                Column reference = new Column(new Table(Sql.ident(alias)), Sql.ident(column));
                outputs.add(new Output(column, reference));
            }
        }
    }
}
