package dev.pgtrickle.testsupport;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Server settings of every PostgreSQL the tests start: logical decoding on, durability off for
 * speed. Public so that tests starting servers of their own use the same ones.
 */
public final class ServerSettings {

    private static final Map<String, String> VALUES = settings();

    private ServerSettings() {
    }

    /** Setting name to value, in a stable order. */
    public static Map<String, String> values() {
        return VALUES;
    }

    /** The settings as {@code -c name=value} arguments of the {@code postgres} command. */
    public static List<String> asCommandLineOptions() {
        List<String> options = new ArrayList<>();
        VALUES.forEach((name, value) -> {
            options.add("-c");
            options.add(name + "=" + value);
        });
        return options;
    }

    private static Map<String, String> settings() {
        Map<String, String> values = new LinkedHashMap<>();
        values.put("wal_level", "logical");
        values.put("max_replication_slots", "20");
        values.put("max_wal_senders", "20");
        values.put("max_connections", "200");
        values.put("fsync", "off");
        values.put("synchronous_commit", "off");
        values.put("full_page_writes", "off");
        return Collections.unmodifiableMap(values);
    }
}
