package dev.pgtrickle.ivm.plan;

import dev.pgtrickle.ivm.delta.DeltaContext;
import dev.pgtrickle.ivm.delta.Fragment;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A SELECT list with window functions over the rows of its input. Every window call partitions
 * by (at least) {@link #partitionKeys}: the rows of one value of those keys are all a window
 * call reads for a row of it, so the rows of the partitions a change touches can be computed
 * again from those partitions' input rows ({@code PartitionRescanStrategy}). Without keys shared
 * by every call, all rows are one partition.
 *
 * @param input the rows
 * @param partitionKeys the PARTITION BY expressions every window call has (SQL over the input)
 * @param outputs the SELECT list over the input, window calls as written
 * @param windowed the names of the outputs computed with window calls; the others follow from
 *     the row alone
 */
public record Window(FromPlan input, List<String> partitionKeys, List<OutputColumn> outputs, List<String> windowed)
        implements QueryPlan {

    public Window {
        partitionKeys = List.copyOf(partitionKeys);
        outputs = List.copyOf(outputs);
        windowed = List.copyOf(windowed);
    }

    /** The outputs that follow from the row alone. */
    public List<String> rowColumns() {
        return columns().stream().filter(c -> !windowed.contains(c)).toList();
    }

    /**
     * The input's columns (positionally, every binding's in order) as SQL over a row of this
     * query's outputs under {@code alias}: the output that is the column itself, or NULL for a
     * column no output reads. Empty when an output reads a column that no output holds as it is
     * — then the input rows cannot be rebuilt from the outputs.
     */
    public Optional<List<String>> inputFromOutputs(String alias) {
        List<String> items = new ArrayList<>();
        for (Binding binding : input.bindings()) {
            if (outputs.stream().anyMatch(o -> ColumnText.mentionsRow(o.expression(), binding.alias()))) {
                return Optional.empty();
            }
            for (String column : binding.columns()) {
                Optional<OutputColumn> holder = outputs.stream()
                        .filter(o -> ColumnText.isReference(o.expression(), binding.alias(), column)).findFirst();
                if (holder.isPresent()) {
                    items.add(alias + "." + Sql.ident(holder.get().name()));
                } else if (outputs.stream().noneMatch(o -> ColumnText.mentions(o.expression(), binding.alias(), column))) {
                    items.add("NULL");
                } else {
                    return Optional.empty();
                }
            }
        }
        return Optional.of(List.copyOf(items));
    }

    @Override
    public List<String> columns() {
        return outputs.stream().map(OutputColumn::name).toList();
    }

    @Override
    public List<Plan> inputs() {
        return List.of(input);
    }

    @Override
    public String current(DeltaContext context) throws UnsupportedQueryException {
        return current(input.current(context), List.of());
    }

    /** The SELECT list over {@code rows} (all rows of some partitions), with {@code extra} items. */
    public String current(Fragment rows, List<String> extra) {
        List<String> items = Sql.concat(Project.items(outputs), extra);
        return rows.select(items);
    }

    @Override
    public String delta(DeltaContext context) throws UnsupportedQueryException {
        throw new UnsupportedQueryException("OVER (PARTITION BY " + String.join(", ", partitionKeys) + ")",
                "window functions inside a query are not supported yet");
    }

    @Override
    public String describe() {
        return "Window partitioned by " + (partitionKeys.isEmpty() ? "() (one partition)" : String.join(", ", partitionKeys));
    }

    @Override
    public String deltaRule() {
        return "per partition: the rows of the partitions the delta touches are computed again from their input rows";
    }
}
