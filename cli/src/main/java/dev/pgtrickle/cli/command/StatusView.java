package dev.pgtrickle.cli.command;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.pgtrickle.cli.output.Durations;
import dev.pgtrickle.cli.output.TextTable;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** Renders status rows for people (an aligned table) or for scripts (JSON). */
public final class StatusView {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final DateTimeFormatter LOCAL_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private final ZoneId zone;

    /** Timestamps are shown in {@code zone}: the reader's, not the server session's. */
    public StatusView(ZoneId zone) {
        this.zone = zone;
    }

    public String table(List<StatusRow> rows) {
        if (rows.isEmpty()) {
            return "no stream tables\n";
        }
        TextTable table = new TextTable(
                "NAME", "STATUS", "MODE", "REFRESHED", "SCHEDULE", "DATA TIMESTAMP", "STALENESS", "ERRORS",
                "LAST ERROR", "LAST FALLBACK");
        for (StatusRow row : rows) {
            table.addRow(
                    row.name(),
                    row.status(),
                    row.refreshMode(),
                    row.effectiveMode(),
                    row.schedule() == null ? "calculated" : row.schedule(),
                    row.dataTimestamp() == null ? null : localTime(row.dataTimestamp()),
                    row.stalenessSeconds() == null ? null : Durations.format(row.stalenessSeconds()),
                    row.consecutiveErrors() == null ? null : row.consecutiveErrors().toString(),
                    row.lastError(),
                    row.lastFallbackAt() == null ? null
                            : localTime(row.lastFallbackAt()) + " " + row.lastFallbackReason());
        }
        // Why a stream table is refreshed other than asked, or how its IMMEDIATE writers go: a
        // sentence each, under the table rather than in a column that would widen every row.
        StringBuilder reasons = new StringBuilder();
        for (StatusRow row : rows) {
            if (row.modeReason() != null) {
                reasons.append("  ").append(row.name()).append(": ").append(row.modeReason()).append('\n');
            }
        }
        return table.render() + (reasons.isEmpty() ? "" : "\nREFRESHED because:\n" + reasons);
    }

    private String localTime(OffsetDateTime time) {
        return LOCAL_TIME.format(time.atZoneSameInstant(zone));
    }

    /** A JSON array of objects with raw values (schedule NULL stays null, staleness in seconds). */
    public String json(List<StatusRow> rows) {
        ArrayNode array = JSON.createArrayNode();
        for (StatusRow row : rows) {
            array.addObject()
                    .put("name", row.name())
                    .put("status", row.status())
                    .put("refresh_mode", row.refreshMode())
                    .put("schedule", row.schedule())
                    .put("data_timestamp", row.dataTimestamp() == null ? null : row.dataTimestamp().toString())
                    .put("staleness_seconds", row.stalenessSeconds())
                    .put("consecutive_errors", row.consecutiveErrors())
                    .put("last_error", row.lastError())
                    .put("effective_mode", row.effectiveMode())
                    .put("mode_reason", row.modeReason())
                    .put("last_fallback_at", row.lastFallbackAt() == null ? null : row.lastFallbackAt().toString())
                    .put("last_fallback_reason", row.lastFallbackReason());
        }
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(array) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render status as JSON", e);
        }
    }
}
