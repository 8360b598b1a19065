package dev.pgtrickle.ivm.compile;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

/** The jsonb form of a {@link CompiledPlan} in the catalog (snake_case field names). */
public final class PlanJson {

    private static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE);

    private PlanJson() {
    }

    public static String write(CompiledPlan plan) {
        try {
            return MAPPER.writeValueAsString(plan);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialize a compiled plan", e);
        }
    }

    public static CompiledPlan read(String json) {
        try {
            return MAPPER.readValue(json, CompiledPlan.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not a compiled plan: " + e.getOriginalMessage(), e);
        }
    }
}
