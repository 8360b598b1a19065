package dev.pgtrickle.ivm.compile;

import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.pgtrickle.ivm.plan.Aggregate;
import dev.pgtrickle.ivm.plan.AggregateCall;
import dev.pgtrickle.ivm.plan.Derived;
import dev.pgtrickle.ivm.plan.OutputColumn;
import dev.pgtrickle.ivm.plan.Scan;
import dev.pgtrickle.ivm.plan.Source;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The catalog's SQL reads every field of a compiled plan and knows the names Java generates. */
class PlanContractTest {

    private static final List<String> MIGRATIONS = List.of("R__30_refresh.sql", "R__35_differential.sql", "R__45_immediate.sql",
            "R__50_monitoring.sql", "R__55_operations.sql", "R__75_publications.sql");

    private static String catalogSql() throws IOException {
        StringBuilder sql = new StringBuilder();
        for (String name : MIGRATIONS) {
            try (InputStream in = PlanContractTest.class.getResourceAsStream(
                    "/dev/pgtrickle/core/catalog/migrations/" + name)) {
                sql.append(new String(in.readAllBytes(), StandardCharsets.UTF_8)).append('\n');
            }
        }
        return sql.toString();
    }

    /** SELECT region, sum(amount) AS total FROM orders o GROUP BY region */
    private static Aggregate sumByRegion() {
        Scan orders = new Scan(new Source(7, "public", "orders", Source.Kind.TABLE, List.of("id", "region", "amount")),
                "o");
        return new Aggregate(orders, List.of("o.region"),
                List.of(new AggregateCall(1, AggregateCall.Function.SUM, "o.amount")),
                List.of(new OutputColumn("region", "__pgt_key_1"), new OutputColumn("total", "__pgt_agg_1")), null);
    }

    private static CompiledPlan samplePlan() throws Exception {
        return new PlanCompiler(query -> List.of("int4")).compile(sumByRegion(), "q");
    }

    /** The total of the regions' sums: the inner aggregate's groups are kept. */
    private static CompiledPlan nestedSamplePlan() throws Exception {
        Aggregate outer = new Aggregate(new Derived(sumByRegion(), "s"), List.of(),
                List.of(new AggregateCall(1, AggregateCall.Function.SUM, "s.total")),
                List.of(new OutputColumn("grand", "__pgt_agg_1")), null);
        return new PlanCompiler(query -> List.of("int4")).compile(outer, "q");
    }

    @Test
    void theSqlReadsEveryFieldJavaWrites() throws Exception {
        String sql = catalogSql();
        JsonNode plan = new ObjectMapper().readTree(PlanJson.write(samplePlan()));
        assertReadsFields(sql, plan);
        assertReadsFields(sql, plan.get("operators").get(0));
        assertReadsFields(sql, plan.get("immediate").get(0));
        JsonNode nested = new ObjectMapper().readTree(PlanJson.write(nestedSamplePlan()));
        assertReadsFields(sql, nested.get("kept_states").get(0));
    }

    /** A recomputation takes the turn stamp the IMMEDIATE statements of a serialized plan take. */
    @Test
    void theSqlTakesTheStampOfWritersTakingTurns() throws Exception {
        assertTrue(ImmediateFootprint.WHOLE.contains("(" + ImmediateFootprint.WHOLE_STAMP + ")"));
        assertTrue(catalogSql().contains("ARRAY[" + ImmediateFootprint.WHOLE_STAMP + "]::bigint[]"),
                "the catalog's recomputation takes stamp " + ImmediateFootprint.WHOLE_STAMP);
    }

    /** The catalog writes code for each turn a statement of a plan with sides can take. */
    @Test
    void theSqlKnowsEveryTurn() throws Exception {
        String sql = catalogSql();
        for (ImmediateSides.Turn turn : ImmediateSides.Turn.values()) {
            assertTrue(sql.contains("v_statement ->> 'turn' = '" + turn.json() + "'"), "the catalog handles turn " + turn.json());
        }
    }

    /** A relative IMMEDIATE statement names the stream table's id and a variable of the function running it. */
    @Test
    void theSqlReplacesTheStreamTableIdAndDeclaresTheRetryVariable() throws Exception {
        String sql = catalogSql();
        String relative = samplePlan().immediate().get(0).relativeApply();
        assertTrue(relative.contains(PlanContract.STREAM_TABLE_ID) && relative.contains(PlanContract.RETRY), relative);
        assertTrue(sql.contains("'" + PlanContract.STREAM_TABLE_ID + "', p_pgt_id::text)"),
                "the catalog replaces " + PlanContract.STREAM_TABLE_ID);
        assertTrue(sql.contains("    " + PlanContract.RETRY + " bytea[];"), "the catalog declares " + PlanContract.RETRY);
        assertTrue(sql.contains("FUNCTION pgtrickle._immediate_new_group("), "the catalog defines _immediate_new_group");
    }

    @Test
    void theSqlReplacesTheKeptStatePlaceholders() throws Exception {
        String table = nestedSamplePlan().keptStates().get(0).table();
        assertTrue(table.equals(PlanContract.keptTable(1)), table);
        String numbered = PlanContract.keptTable(7).replace("7", "%s");
        assertTrue(catalogSql().contains("format('" + numbered + "', v_n)"), "the catalog replaces " + table);
    }

    /** The catalog indexes a kept sum's value in the form the refresh statements read it in. */
    @Test
    void theSqlIndexesAKeptSumsValueAsThePlansReadIt() throws Exception {
        AggregateCall sum = new AggregateCall(1, AggregateCall.Function.SUM, "x");
        String value = sum.fromState("c", "%I", "%I");
        assertTrue(catalogSql().contains("'CREATE INDEX ON pgtrickle_changes.%I ((" + value + "))'"),
                "the catalog indexes " + value);
        assertTrue(sum.nonNullColumn().equals(sum.sumColumn().replaceAll("_s$", "_n")),
                "the catalog finds the count column by the sum column's name");
    }

    private static void assertReadsFields(String sql, JsonNode object) {
        for (Iterator<String> names = object.fieldNames(); names.hasNext(); ) {
            String field = names.next();
            assertTrue(Pattern.compile("->>?\\s*'" + Pattern.quote(field) + "'").matcher(sql).find(),
                    "the catalog's SQL never reads the plan field " + field);
        }
    }

    @Test
    void theSqlKnowsThePlanFormatAndTheStoragePlaceholder() throws Exception {
        String sql = catalogSql();
        assertTrue(sql.contains("(p_plan ->> 'format')::int IS DISTINCT FROM " + CompiledPlan.FORMAT),
                "the catalog checks the plan format it runs");
        assertTrue(sql.contains("'" + PlanContract.STORAGE + "'"), "the catalog replaces the storage placeholder");
        assertTrue(sql.contains("attname ~ '^" + PlanContract.HIDDEN_PREFIX + "'"),
                "the catalog finds hidden columns by their prefix");
    }

    @Test
    void everyHiddenColumnHasThePrefix() throws Exception {
        for (String hidden : samplePlan().hiddenColumns()) {
            assertTrue(hidden.startsWith(PlanContract.HIDDEN_PREFIX), hidden);
        }
    }
}
