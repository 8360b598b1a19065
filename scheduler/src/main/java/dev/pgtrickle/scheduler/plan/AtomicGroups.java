package dev.pgtrickle.scheduler.plan;

import dev.pgtrickle.scheduler.catalog.StreamTableState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Stream tables refreshed together, in one transaction under one snapshot
 * ({@code diamond_consistency => 'atomic'}): a table that reads two or more stream tables (the
 * sides of a diamond) with them, so that the sides consume their sources up to the same moment
 * and the table never combines one side refreshed and the other not. Groups that share a table
 * are one group; a table that lies between two members (reads one, is read by another) joins,
 * so that no group waits for a table that waits for it.
 */
public final class AtomicGroups {

    private AtomicGroups() {
    }

    /**
     * The groups among {@code tables}, given in topological order, each in that order; tables
     * outside every group are left out.
     */
    public static List<List<StreamTableState>> of(List<StreamTableState> tables) {
        Map<Long, StreamTableState> byId = new HashMap<>();
        tables.forEach(t -> byId.put(t.id(), t));
        Map<Long, Long> parent = new HashMap<>();
        for (StreamTableState table : tables) {
            for (long member : sides(table, byId)) {
                union(parent, table.id(), member);
            }
        }
        // A table between members of one group (downstream of one, upstream of another, through
        // any chain) joins it: the group would wait for it, and it for the group.
        Set<Long> members = Set.copyOf(parent.keySet());
        Map<Long, Set<Long>> below = new HashMap<>();
        for (StreamTableState table : tables) {
            Set<Long> groups = new HashSet<>();
            for (long source : table.upstream()) {
                if (members.contains(source)) {
                    groups.add(find(parent, source));
                }
                groups.addAll(below.getOrDefault(source, Set.of()));
            }
            below.put(table.id(), groups);
        }
        Map<Long, Set<Long>> above = new HashMap<>();
        for (int i = tables.size() - 1; i >= 0; i--) {
            long id = tables.get(i).id();
            Set<Long> groups = new HashSet<>();
            for (StreamTableState reader : tables) {
                if (reader.upstream().contains(id)) {
                    if (members.contains(reader.id())) {
                        groups.add(find(parent, reader.id()));
                    }
                    groups.addAll(above.getOrDefault(reader.id(), Set.of()));
                }
            }
            above.put(id, groups);
        }
        for (StreamTableState table : tables) {
            if (!members.contains(table.id())) {
                for (long root : below.get(table.id())) {
                    if (above.get(table.id()).contains(root)) {
                        union(parent, table.id(), root);
                    }
                }
            }
        }
        Map<Long, List<StreamTableState>> groups = new java.util.LinkedHashMap<>();
        for (StreamTableState table : tables) {
            if (parent.containsKey(table.id())) {
                groups.computeIfAbsent(find(parent, table.id()), root -> new ArrayList<>()).add(table);
            }
        }
        return List.copyOf(groups.values());
    }

    /** The tables a table refreshes with: itself and the stream tables it reads, when it is atomic and reads two or more. */
    static Set<Long> sides(StreamTableState table, Map<Long, StreamTableState> byId) {
        List<Long> sides = table.upstream().stream().filter(byId::containsKey).sorted().toList();
        if (!table.atomicDiamond() || sides.size() < 2) {
            return Set.of();
        }
        Set<Long> group = new LinkedHashSet<>(sides);
        group.add(table.id());
        return group;
    }

    private static long find(Map<Long, Long> parent, long id) {
        parent.putIfAbsent(id, id);
        long root = id;
        while (parent.get(root) != root) {
            root = parent.get(root);
        }
        parent.put(id, root);
        return root;
    }

    private static void union(Map<Long, Long> parent, long a, long b) {
        long ra = find(parent, a);
        long rb = find(parent, b);
        if (ra != rb) {
            parent.put(Math.max(ra, rb), Math.min(ra, rb));
        }
    }
}
