package dev.pgtrickle.subscribe;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows a subscriber has seen, by key. Logical replication carries only the key of the row an
 * update or a delete replaced (the replica identity); the subscriber knows the rest from the
 * rows it read at the start and the changes since, and completes the event with it.
 */
final class KnownRows {

    private final List<String> key;
    private final Map<List<Object>, Map<String, Object>> rows = new HashMap<>();

    KnownRows(List<String> key) {
        this.key = List.copyOf(key);
    }

    /** {@code change} with the whole row before it where it is known; remembers the row after it. */
    StreamedChange follow(StreamedChange change) {
        return switch (change.operation()) {
            case READ, INSERT -> {
                rows.put(keyOf(change.after()), change.after());
                yield change;
            }
            case UPDATE -> {
                Map<String, Object> before = rows.put(keyOf(change.after()), change.after());
                yield before == null ? change : withBefore(change, before);
            }
            case DELETE -> {
                Map<String, Object> before = rows.remove(keyOf(change.before()));
                yield before == null ? change : withBefore(change, before);
            }
            case TRUNCATE -> {
                rows.clear();
                yield change;
            }
        };
    }

    private List<Object> keyOf(Map<String, Object> row) {
        List<Object> values = new ArrayList<>(key.size());
        for (String column : key) {
            values.add(row.get(column));
        }
        return values;
    }

    private static StreamedChange withBefore(StreamedChange change, Map<String, Object> before) {
        return new StreamedChange(change.operation(), change.streamTable(), change.refreshId(), change.refreshAction(),
                before, change.after(), change.lsn(), change.committedAt());
    }
}
