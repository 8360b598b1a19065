package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads a source relation under an alias: {@code FROM schema.name AS alias}.
 *
 * @param columns the source's columns the query reads, in the source's order: only these are
 *     carried through the delta rules (see docs/architecture.md, "Column pruning")
 */
public record Scan(Source source, String alias, List<String> columns) implements FromPlan {

    public Scan {
        columns = List.copyOf(columns);
        if (!source.columns().containsAll(columns)) {
            throw new IllegalArgumentException("columns " + columns + " are not all columns of " + source.name());
        }
    }

    /** A scan that carries every column of the source. */
    public Scan(Source source, String alias) {
        this(source, alias, source.columns());
    }

    /** The column of this scan that {@code expression} is nothing but a reference to. */
    public Optional<String> referencedColumn(String expression) {
        return columns.stream().filter(c -> ColumnText.isReference(expression, alias, c)).findFirst();
    }

    @Override
    public List<Binding> bindings() {
        return List.of(new Binding(alias, columns));
    }

    @Override
    public List<Plan> inputs() {
        return List.of();
    }

    @Override
    public Fragment current(DeltaContext context) {
        return Fragment.of(context.current(source) + " AS " + Sql.ident(alias));
    }

    @Override
    public String delta(DeltaContext context) {
        return context.changes(source, columns);
    }

    @Override
    public boolean probedBy(Set<String> known, List<Condition> conditions) {
        return conditions.stream().anyMatch(c -> c.columnsEquated(alias, known).stream()
                .anyMatch(source.indexed()::contains));
    }

    @Override
    public Optional<Source> table() {
        return Optional.of(source);
    }

    @Override
    public String describe() {
        String what = source.kind() == Source.Kind.STREAM_TABLE ? "stream table" : "table";
        String read = columns.size() == source.columns().size() ? ""
                : " (" + columns.size() + " of " + source.columns().size() + " columns)";
        return "Scan " + what + " " + source.schema() + "." + source.name() + " AS " + alias + read;
    }

    @Override
    public String deltaRule() {
        String what = source.kind() == Source.Kind.STREAM_TABLE ? "stream table" : "table";
        String merged = source.mergeable(columns)
                ? ", identical rows merged first where the query joins (an update of other columns cancels)" : "";
        return "delta: rows of change buffer pgtrickle_changes.changes_" + source.oid()
                + " committed after the frontier" + merged + "; current state: the " + what + " itself";
    }
}
