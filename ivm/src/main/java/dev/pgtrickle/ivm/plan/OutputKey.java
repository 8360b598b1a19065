package dev.pgtrickle.ivm.plan;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A key of a query's result: output columns that are NOT NULL in every row and on which no two
 * rows agree, in every state of the sources, because the sources' unique keys say so. It is
 * followed from the sources' keys ({@link Source#keys}) through the operators:
 * <ul>
 *   <li>a filter keeps its input's keys, a projection the ones it outputs every column of;</li>
 *   <li>an inner join's rows are unique on a key of each side together; where the condition
 *       equates every column of a key of one side with the other side, a row of the other side
 *       matches at most once, so that side's keys stay keys (an order joined to its customer is
 *       still one row per order); a left join keeps its left side's keys that way, a right join
 *       its right side's; semi and anti joins keep their left side's;</li>
 *   <li>GROUP BY has its group keys, when the query outputs all of them; DISTINCT all its columns;
 *       window functions keep the input's keys they output, as a projection.</li>
 * </ul>
 * Nothing else has one (a UNION ALL, a FULL join, an aggregate without GROUP BY, whose one row
 * has the empty key). Only columns known NOT NULL make a key here — declared so in their table,
 * on a side that no outer join pads with NULLs — since the key serves as a row identity and as a
 * replica identity, which PostgreSQL wants NOT NULL.
 */
public final class OutputKey {

    /** A column of a FROM item: {@code alias.name}. */
    private record Column(String alias, String name) {
    }

    /** The unique column sets of a FROM item's rows and its columns known NOT NULL. */
    private record FromKeys(List<Set<Column>> unique, Set<Column> notNull) {

        static final FromKeys NONE = new FromKeys(List.of(), Set.of());
    }

    /** The unique output column sets of a query's rows and its outputs known NOT NULL. */
    private record QueryKeys(List<Set<String>> unique, Set<String> notNull) {

        static final QueryKeys NONE = new QueryKeys(List.of(), Set.of());
    }

    private OutputKey() {
    }

    /**
     * The narrowest key of {@code plan}'s output, its columns in output order; empty when none is
     * known.
     */
    public static List<String> of(QueryPlan plan) {
        QueryKeys keys = query(plan);
        List<String> best = List.of();
        for (Set<String> key : keys.unique()) {
            if (!key.isEmpty() && keys.notNull().containsAll(key) && (best.isEmpty() || key.size() < best.size())) {
                best = plan.columns().stream().filter(key::contains).toList();
            }
        }
        return best;
    }

    private static QueryKeys query(QueryPlan plan) {
        if (plan instanceof Project project) {
            return projected(from(project.input()), project.input().bindings(), project.outputs());
        }
        if (plan instanceof Aggregate aggregate) {
            return grouped(aggregate);
        }
        if (plan instanceof Window window) {
            // The outputs that are the input's columns (window calls never are).
            return projected(from(window.input()), window.input().bindings(), window.outputs());
        }
        if (plan instanceof TopK topK) {
            return query(topK.input()); // some of the input's rows
        }
        if (plan instanceof Recursive recursive) {
            return recursive.treeKey().map(key -> new QueryKeys(List.of(Set.of(key)), Set.of(key))).orElse(QueryKeys.NONE);
        }
        if (plan instanceof Distinct distinct) {
            QueryKeys input = query(distinct.input());
            List<Set<String>> unique = new ArrayList<>(input.unique());
            unique.add(new LinkedHashSet<>(distinct.columns()));
            return new QueryKeys(unique, input.notNull());
        }
        return QueryKeys.NONE;
    }

    private static QueryKeys projected(FromKeys input, List<Binding> bindings, List<OutputColumn> outputs) {
        List<Column> columns = new ArrayList<>();
        for (OutputColumn output : outputs) {
            columns.add(columnOf(output.expression(), bindings).orElse(null));
        }
        List<Set<String>> unique = new ArrayList<>();
        for (Set<Column> key : input.unique()) {
            Set<String> names = new LinkedHashSet<>();
            for (Column column : key) {
                int at = columns.indexOf(column);
                if (at < 0) {
                    names = null;
                    break;
                }
                names.add(outputs.get(at).name());
            }
            if (names != null) {
                unique.add(names);
            }
        }
        Set<String> notNull = new LinkedHashSet<>();
        for (int i = 0; i < outputs.size(); i++) {
            if (columns.get(i) != null && input.notNull().contains(columns.get(i))) {
                notNull.add(outputs.get(i).name());
            }
        }
        return new QueryKeys(unique, notNull);
    }

    private static QueryKeys grouped(Aggregate aggregate) {
        if (aggregate.groupKeys().isEmpty()) {
            return QueryKeys.NONE;
        }
        FromKeys input = from(aggregate.input());
        Set<String> key = new LinkedHashSet<>();
        Set<String> notNull = new LinkedHashSet<>();
        for (int i = 0; i < aggregate.groupKeys().size(); i++) {
            String placeholder = Aggregate.keyPlaceholder(i + 1);
            Optional<OutputColumn> output = aggregate.outputs().stream()
                    .filter(o -> o.expression().equals(placeholder)).findFirst();
            if (output.isEmpty()) {
                return QueryKeys.NONE;
            }
            key.add(output.get().name());
            Optional<Column> column = columnOf(aggregate.groupKeys().get(i), aggregate.input().bindings());
            if (column.isPresent() && input.notNull().contains(column.get())) {
                notNull.add(output.get().name());
            }
        }
        return new QueryKeys(List.of(key), notNull);
    }

    private static FromKeys from(FromPlan plan) {
        if (plan instanceof Scan scan) {
            List<Set<Column>> unique = new ArrayList<>();
            for (List<String> key : scan.source().keys()) {
                if (scan.columns().containsAll(key)) {
                    unique.add(columns(scan.alias(), key));
                }
            }
            List<String> notNull = scan.columns().stream().filter(scan.source().notNull()::contains).toList();
            return new FromKeys(unique, columns(scan.alias(), notNull));
        }
        if (plan instanceof Filter filter) {
            return from(filter.input());
        }
        if (plan instanceof Derived derived) {
            QueryKeys inner = query(derived.query());
            List<Set<Column>> unique = new ArrayList<>();
            for (Set<String> key : inner.unique()) {
                unique.add(columns(derived.alias(), renamed(derived, key)));
            }
            return new FromKeys(unique, columns(derived.alias(), renamed(derived, inner.notNull())));
        }
        if (plan instanceof Join join) {
            return joined(join);
        }
        return FromKeys.NONE;
    }

    private static FromKeys joined(Join join) {
        FromKeys left = from(join.left());
        FromKeys right = from(join.right());
        boolean rightOncePerLeft = matchedOnce(right, join, join.left().aliases());
        boolean leftOncePerRight = matchedOnce(left, join, join.right().aliases());
        return switch (join.kind()) {
            case SEMI, ANTI -> left;
            case LEFT -> rightOncePerLeft ? new FromKeys(left.unique(), left.notNull()) : FromKeys.NONE;
            case RIGHT -> leftOncePerRight ? new FromKeys(right.unique(), right.notNull()) : FromKeys.NONE;
            case FULL -> FromKeys.NONE;
            case INNER -> {
                List<Set<Column>> unique = new ArrayList<>();
                if (rightOncePerLeft) {
                    unique.addAll(left.unique());
                }
                if (leftOncePerRight) {
                    unique.addAll(right.unique());
                }
                for (Set<Column> l : left.unique()) {
                    for (Set<Column> r : right.unique()) {
                        Set<Column> both = new LinkedHashSet<>(l);
                        both.addAll(r);
                        unique.add(both);
                    }
                }
                Set<Column> notNull = new LinkedHashSet<>(left.notNull());
                notNull.addAll(right.notNull());
                yield new FromKeys(unique, notNull);
            }
        };
    }

    /** Whether the join condition equates every column of one of {@code side}'s keys with expressions over {@code others}. */
    private static boolean matchedOnce(FromKeys side, Join join, Set<String> others) {
        for (Set<Column> key : side.unique()) {
            if (key.stream().allMatch(c -> join.condition().columnsEquated(c.alias(), others).contains(c.name()))) {
                return true;
            }
        }
        return false;
    }

    /** The column {@code expression} reads when it is nothing but a column reference of {@code bindings}. */
    private static Optional<Column> columnOf(String expression, List<Binding> bindings) {
        for (Binding binding : bindings) {
            for (String column : binding.columns()) {
                if (ColumnText.isReference(expression, binding.alias(), column)) {
                    return Optional.of(new Column(binding.alias(), column));
                }
            }
        }
        return Optional.empty();
    }

    private static Set<Column> columns(String alias, Iterable<String> names) {
        Set<Column> columns = new LinkedHashSet<>();
        for (String name : names) {
            columns.add(new Column(alias, name));
        }
        return columns;
    }

    private static List<String> renamed(Derived derived, Set<String> names) {
        List<String> inner = derived.query().columns();
        return names.stream().map(n -> derived.columns().get(inner.indexOf(n))).toList();
    }
}
