package dev.pgtrickle.testsupport;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/** Builds pgjdbc URLs; user and password travel as URL parameters so one string is enough to connect. */
final class JdbcUrls {

    private JdbcUrls() {
    }

    static String build(String host, int port, String database, String user, String password,
                        Map<String, String> extraParameters) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("user", user);
        if (password != null) {
            parameters.put("password", password);
        }
        parameters.putAll(extraParameters);
        // IPv6 literals need brackets in a URL.
        String hostPart = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
        return "jdbc:postgresql://" + hostPart + ":" + port + "/" + encode(database) + "?"
                + parameters.entrySet().stream()
                        .map(e -> encode(e.getKey()) + "=" + encode(e.getValue()))
                        .collect(Collectors.joining("&"));
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }
}
