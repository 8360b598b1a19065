package dev.pgtrickle.cli.command;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

/** One row of {@code pgtrickle.pgt_status()}; null fields are SQL NULLs. */
public record StatusRow(
        String name,
        String status,
        String refreshMode,
        String schedule,
        OffsetDateTime dataTimestamp,
        Double stalenessSeconds,
        Long consecutiveErrors,
        String lastError,
        String effectiveMode,
        String modeReason,
        OffsetDateTime lastFallbackAt,
        String lastFallbackReason) {

    private static final String SELECT = "SELECT name, status, refresh_mode, schedule, data_timestamp,"
            + " extract(epoch FROM staleness) AS staleness_seconds, consecutive_errors, last_error, effective_mode,"
            + " mode_reason, last_fallback_at, last_fallback_reason"
            + " FROM pgtrickle.pgt_status()";

    // Names resolve as in the SQL API: without a schema they mean schema public.
    private static final String BY_NAME = " WHERE name = (SELECT schema_name || '.' || rel_name"
            + " FROM pgtrickle._split_name(CAST(? AS text)))";

    /** All stream tables, or only the one named (an empty list when it does not exist). */
    public static List<StatusRow> load(Connection connection, String name) throws SQLException {
        String sql = SELECT + (name == null ? "" : BY_NAME) + " ORDER BY name";
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            if (name != null) {
                statement.setString(1, name);
            }
            List<StatusRow> rows = new ArrayList<>();
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    rows.add(read(rs));
                }
            }
            return rows;
        }
    }

    private static StatusRow read(ResultSet rs) throws SQLException {
        BigDecimal staleness = rs.getBigDecimal("staleness_seconds");
        long errors = rs.getLong("consecutive_errors");
        Long consecutiveErrors = rs.wasNull() ? null : errors;
        return new StatusRow(
                rs.getString("name"),
                rs.getString("status"),
                rs.getString("refresh_mode"),
                rs.getString("schedule"),
                rs.getObject("data_timestamp", OffsetDateTime.class),
                staleness == null ? null : staleness.doubleValue(),
                consecutiveErrors,
                rs.getString("last_error"),
                rs.getString("effective_mode"),
                rs.getString("mode_reason"),
                rs.getObject("last_fallback_at", OffsetDateTime.class),
                rs.getString("last_fallback_reason"));
    }
}
