package dev.pgtrickle.subscribe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import java.util.Map;

/** How {@code pgtrickle subscribe} prints a change: one line each. */
public enum ChangeFormat {

    /**
     * A JSON object: {@code op}, {@code stream_table}, {@code refresh_id}, {@code refresh_action},
     * {@code before}, {@code after}, {@code lsn}, {@code committed_at}.
     */
    JSON {
        @Override
        public String format(StreamedChange change) {
            ObjectNode line = MAPPER.createObjectNode();
            line.put("op", change.operation().name().toLowerCase(Locale.ROOT));
            line.put("stream_table", change.streamTable());
            line.putPOJO("refresh_id", change.refreshId());
            line.put("refresh_action", change.refreshAction());
            line.putPOJO("before", change.before());
            line.putPOJO("after", change.after());
            line.putPOJO("lsn", change.lsn());
            line.put("committed_at", change.committedAt() == null ? null : change.committedAt().toString());
            try {
                return MAPPER.writeValueAsString(line);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    },

    /** {@code UPDATE public.t (refresh 12, DIFFERENTIAL): {id=1} -> {id=1, v=2}}. */
    TEXT {
        @Override
        public String format(StreamedChange change) {
            String refresh = change.refreshId() == null ? "" : " (refresh " + change.refreshId() + ", " + change.refreshAction() + ")";
            String rows = switch (change.operation()) {
                case INSERT, READ -> text(change.after());
                case UPDATE -> text(change.before()) + " -> " + text(change.after());
                case DELETE -> text(change.before());
                case TRUNCATE -> "";
            };
            return change.operation() + " " + change.streamTable() + refresh + (rows.isEmpty() ? "" : ": " + rows);
        }

        private String text(Map<String, Object> row) {
            return row == null ? "{}" : row.toString();
        }
    };

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public abstract String format(StreamedChange change);
}
