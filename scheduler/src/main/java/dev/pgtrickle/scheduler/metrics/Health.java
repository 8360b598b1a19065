package dev.pgtrickle.scheduler.metrics;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.pgtrickle.scheduler.Daemon;
import java.util.List;
import java.util.Locale;

/**
 * What {@code /health} answers: {@code DOWN} (HTTP 503) when the catalog cannot be reached;
 * {@code DEGRADED} (HTTP 200: restarting the daemon would not help) when the leader knows of
 * problems — stream tables failing, suspended or in error, grants its role lacks, a journal it
 * cannot open — listed under {@code problems}; {@code UP} otherwise.
 */
record Health(String status, String role, boolean reachable, List<String> problems) {

    private static final ObjectMapper JSON = new ObjectMapper();

    static Health of(Daemon daemon) {
        boolean reachable = daemon.catalogReachable();
        List<String> problems = daemon.problems();
        String status = !reachable ? "DOWN" : problems.isEmpty() ? "UP" : "DEGRADED";
        return new Health(status, daemon.role().name().toLowerCase(Locale.ROOT), reachable, problems);
    }

    int httpStatus() {
        return reachable ? 200 : 503;
    }

    String json() {
        ObjectNode body = JSON.createObjectNode()
                .put("status", status)
                .put("role", role)
                .put("catalog", reachable ? "reachable" : "unreachable");
        problems.forEach(body.putArray("problems")::add);
        return body.toString() + "\n";
    }
}
