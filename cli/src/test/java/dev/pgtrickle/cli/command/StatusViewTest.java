package dev.pgtrickle.cli.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Test;

class StatusViewTest {

    private static final List<StatusRow> ROWS = List.of(
            new StatusRow("public.daily", "ACTIVE", "DIFFERENTIAL", null,
                    OffsetDateTime.parse("2026-02-26T10:30:00.123+01:00"), 2.34, 0L, null, "DIFFERENTIAL", null,
                    OffsetDateTime.parse("2026-02-26T10:29:00+01:00"),
                    "differential refresh failed (division by zero): refreshed FULL"),
            new StatusRow("public.never", "ERROR", "FULL", "1m", null, null, 3L, "relation \"x\"\ndoes not exist", "FULL",
                    "not differentiable: min(x): MIN/MAX are not supported yet; refreshed FULL", null, null));

    private final StatusView view = new StatusView(ZoneId.of("UTC"));

    @Test
    void rendersAReadableTable() {
        assertEquals(""
                + "NAME          STATUS  MODE          REFRESHED     SCHEDULE    DATA TIMESTAMP       STALENESS  ERRORS  LAST ERROR                   LAST FALLBACK\n"
                + "public.daily  ACTIVE  DIFFERENTIAL  DIFFERENTIAL  calculated  2026-02-26 09:30:00  2.3s       0                                    2026-02-26 09:29:00 differential refresh failed (division by zero): refreshed FULL\n"
                + "public.never  ERROR   FULL          FULL          1m                                          3       relation \"x\" does not exist\n"
                + "\n"
                + "REFRESHED because:\n"
                + "  public.never: not differentiable: min(x): MIN/MAX are not supported yet; refreshed FULL\n",
                view.table(ROWS));
    }

    @Test
    void saysSoWhenThereIsNothingToShow() throws Exception {
        assertEquals("no stream tables\n", view.table(List.of()));
        assertEquals(0, new ObjectMapper().readTree(view.json(List.of())).size());
    }

    @Test
    void rendersRawValuesAsJson() throws Exception {
        JsonNode json = new ObjectMapper().readTree(view.json(ROWS));
        assertEquals(2, json.size());
        JsonNode daily = json.get(0);
        assertEquals("public.daily", daily.get("name").asText());
        assertEquals("DIFFERENTIAL", daily.get("refresh_mode").asText());
        assertTrue(daily.get("schedule").isNull());
        assertEquals("2026-02-26T10:30:00.123+01:00", daily.get("data_timestamp").asText());
        assertEquals(2.34, daily.get("staleness_seconds").asDouble());
        assertEquals(0, daily.get("consecutive_errors").asLong());
        assertEquals("2026-02-26T10:29+01:00", daily.get("last_fallback_at").asText());
        assertEquals("differential refresh failed (division by zero): refreshed FULL",
                daily.get("last_fallback_reason").asText());
        JsonNode never = json.get(1);
        assertEquals("1m", never.get("schedule").asText());
        assertTrue(never.get("staleness_seconds").isNull());
        assertEquals("relation \"x\"\ndoes not exist", never.get("last_error").asText());
        assertTrue(never.get("last_fallback_at").isNull());
    }
}
