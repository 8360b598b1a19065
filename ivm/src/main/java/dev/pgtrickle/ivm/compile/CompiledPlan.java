package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.plan.Lineage;
import java.util.List;

/**
 * A compiled differential refresh, stored as jsonb in {@code pgtrickle.pgt_stream_tables.plan}
 * and executed inside PostgreSQL (see the SQL migration R__35_differential.sql for the fields).
 *
 * @param format version of this layout
 * @param normalizedQuery the canonical definition the plan was compiled from
 * @param strategy how changes are applied
 * @param columns storage columns the populate query produces: visible ones, then hidden ones
 * @param hiddenColumns the {@code __pgt_} columns among {@code columns}
 * @param identityColumns the columns identifying a stored row (unique index, MERGE key)
 * @param outputKey visible columns that are NOT NULL and unique in every state of the sources
 *     ({@code plan.OutputKey}), the narrowest such; empty when none is known. A published stream
 *     table's replica identity.
 * @param populate query computing the full contents, hidden columns included
 * @param refresh the one MERGE statement applying the changes since the frontier {@code $1};
 *     the storage table is written as {@value MergeStatement#STORAGE}
 * @param refreshInsertOnly for stream tables declared append-only: the same changes applied with
 *     a plain INSERT, which fails with SQLSTATE PT002 when the changes contain a deletion (the
 *     caller then runs {@code refresh}); {@code null} when the strategy has no such path
 * @param sources oids of the relations whose change buffers the refresh reads
 * @param operators the operator tree with the strategy of each operator
 * @param lineage for each visible column, in order, the source columns it is computed from
 *     ({@code plan.Lineage})
 * @param keptStates tables keeping the groups of aggregates inside the query and the left inputs
 *     of one-row tests, which a FULL refresh fills (in its statement) and the refresh statement
 *     maintains
 * @param indexes storage columns the refresh reads rows by, one list per index (besides the
 *     identity's): the columns a recursive query's step joins its old result on
 * @param readsClock whether the query compares columns with the clock (a moving time window):
 *     its contents change as time passes, and a refresh maintains that ({@code plan.Clock})
 * @param clockDue for a query reading the clock, a query of the earliest time after now at which
 *     a row enters or leaves its window ({@code NULL}: none will until a source changes);
 *     {@code null} when that cannot be told, and every scheduled refresh runs
 * @param immediate how the changes of one statement on the source are applied inside it
 *     (IMMEDIATE mode), per kind of statement; empty when the query cannot be maintained so
 * @param immediateRefusal why the query cannot be maintained inside the writing statement;
 *     {@code null} when it can
 * @param immediateSerialization why the writers of its sources take turns in IMMEDIATE mode
 *     (every statement takes one stamp: no key tells where their changes meet); {@code null} when
 *     writers of different rows or groups do not wait for each other
 */
public record CompiledPlan(int format, String normalizedQuery, Strategy strategy, List<String> columns,
                           List<String> hiddenColumns, List<String> identityColumns, List<String> outputKey,
                           String populate,
                           String refresh, String refreshInsertOnly, List<Long> sources,
                           List<ExplainLine> operators, List<ColumnLineage> lineage, List<KeptState> keptStates,
                           List<List<String>> indexes, boolean readsClock, String clockDue,
                           List<ImmediateStatement> immediate, String immediateRefusal,
                           String immediateSerialization) {

    public static final int FORMAT = 1;

    public CompiledPlan {
        columns = List.copyOf(columns);
        hiddenColumns = List.copyOf(hiddenColumns);
        identityColumns = List.copyOf(identityColumns);
        outputKey = outputKey == null ? List.of() : List.copyOf(outputKey);
        sources = List.copyOf(sources);
        operators = List.copyOf(operators);
        lineage = lineage == null ? List.of() : List.copyOf(lineage);
        keptStates = keptStates == null ? List.of() : List.copyOf(keptStates);
        indexes = indexes == null ? List.of() : indexes.stream().map(List::copyOf).toList();
        immediate = immediate == null ? List.of() : List.copyOf(immediate);
    }

    /**
     * The statements applying one statement's changes of the source inside it (IMMEDIATE mode),
     * reading them from the trigger's transition tables ({@code delta.TransitionTables}).
     *
     * @param source the oid of the table the trigger fires on
     * @param event INSERT, UPDATE or DELETE: the statement the trigger fires for
     * @param stamps for a query joining tables, a query of the stamps ({@code ImmediateFootprint})
     *     the trigger takes first, until a round finds no new one; {@code null} for one table
     * @param identities a query of the {@code __pgt_row_id} of every storage row the changes
     *     touch, whose locks the trigger takes (in order) before it applies them; {@code null}
     *     where writers take turns on one stamp, which orders them already, or where a stored row
     *     comes from the source row with its key
     * @param apply the MERGE applying them, the storage table written as {@value PlanContract#STORAGE}
     * @param relativeApply for one table's groups whose state adds up, a {@link RelativeMerge} doing
     *     what {@code identities} and {@code apply} do in one statement (it locks what it touches, and
     *     the trigger runs it again for the groups it found created meanwhile), used where the server
     *     re-checks a MERGE's concurrently changed rows the way it relies on (PostgreSQL 18); else
     *     {@code null}
     * @param boundary for TopK whose writers' changes can be told apart (by key, where they meet), a
     *     query telling whether the changes reach the first rows (sort at or before the last stored
     *     one, or fewer than the limit are stored): writers whose changes do not change nothing and
     *     go on side by side, the others take turns (docs/architecture.md, "First rows"); else
     *     {@code null}
     * @param turn where one table's writers go on side by side and every other source's take turns
     *     with them ({@code ImmediateSides}): {@code shared} for that table's statements,
     *     {@code exclusive} for the others' (docs/architecture.md, "Sides"); else {@code null}
     */
    public record ImmediateStatement(long source, String event, String stamps, String identities, String apply,
                                     String relativeApply, String boundary, String turn) {
    }

    /** A visible column and the source columns it is computed from. */
    public record ColumnLineage(String column, List<Lineage.SourceColumn> sources) {

        public ColumnLineage {
            sources = List.copyOf(sources);
        }
    }

    /**
     * A table keeping the groups of an aggregate inside the query, or the rows of a join's input.
     *
     * @param table its placeholder in {@code refresh} ({@link PlanContract#keptTable})
     * @param fill the query computing its rows from the sources, in the table's column order
     * @param indexed its columns that get an index of their own (besides the identity's)
     * @param indexedSums its sum columns whose call's value gets an index ({@code plan.KeptIndex}:
     *     {@code CASE WHEN <count column> = 0 THEN NULL ELSE <sum column> END}, the count column
     *     named like the sum column with {@code _n} for {@code _s})
     */
    public record KeptState(String table, String fill, List<String> indexed, List<String> indexedSums) {

        public KeptState {
            indexed = indexed == null ? List.of() : List.copyOf(indexed);
            indexedSums = indexedSums == null ? List.of() : List.copyOf(indexedSums);
        }
    }
}
