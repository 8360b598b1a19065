package dev.pgtrickle.ivm.compile;

import dev.pgtrickle.ivm.delta.TransitionTables;
import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.Recursive;
import dev.pgtrickle.ivm.sql.Sql;
import java.util.Optional;

/**
 * The nodes a statement's changes reach in a walk down a tree (IMMEDIATE mode), as stamps: the
 * changed rows, old and new, their parents, and every row below them in the table as the
 * statement sees it. A node's result row is computed from its parent's stored row and its own
 * table row, so a writer reads the stored rows of its changed rows' parents and writes the rows of
 * its changed rows and everything below them: that is what it stamps. Two writers that share no
 * stamp touch different nodes: neither writes a row the other reads or writes (each writes below
 * its changed rows, which the other would have stamped, as parents or walked rows, had they met). A row that joins a walked subtree after the walk (committed meanwhile) stamped
 * its new parent, which the walk stamped: the trigger, having waited for it, walks again and
 * stamps what is new. Writers of different subtrees go on side by side.
 *
 * <p>Only where the stream table is the walk as a whole (its result stored, no state kept by the
 * statements) and the parent column hashes as the key does (int4 as int8 alike); otherwise the
 * writers take turns.
 */
final class TreeStamps {

    /** Stamps of tree nodes hash with this seed: no other stamps share the plan. */
    private static final int SEED = 1;

    private final Recursive.Tree tree;
    private final String type;

    private TreeStamps(Recursive.Tree tree, String type) {
        this.tree = tree;
        this.type = type;
    }

    /** The stamps of {@code top}, where it is a walk down a tree whose parent column hashes as its key. */
    static Optional<TreeStamps> of(QueryPlan top) {
        return Recursive.whole(top).flatMap(whole -> whole.query().tree()).flatMap(tree -> {
            String key = tree.table().hashTypes().get(tree.key());
            return key != null && key.equals(tree.table().hashTypes().get(tree.parent()))
                    ? Optional.of(new TreeStamps(tree, key)) : Optional.empty();
        });
    }

    /** The query of the stamps a statement of {@code event} on the table {@code changed} takes; {@code null} for none. */
    String stamps(long changed, TransitionTables.Event event) {
        if (changed != tree.table().oid()) {
            return null;
        }
        String rows = "(" + TransitionTables.rows(event) + ") AS __pgt_c";
        String parent = Sql.ident(tree.parent());
        // The walk ends on cycles, which the rows below a changed row may hold.
        return "SELECT __pgt_s.stamp FROM (WITH RECURSIVE " + tree.walk("__pgt_walked", "SELECT __pgt_c."
                + Sql.ident(tree.key()) + " FROM " + rows, Sql.qualified(tree.table().schema(), tree.table().name()))
                + "\nSELECT " + stamp("__pgt_w.k") + " AS stamp FROM __pgt_walked AS __pgt_w"
                + "\nUNION ALL\nSELECT " + stamp("__pgt_c." + parent) + " FROM " + rows + " WHERE __pgt_c." + parent
                + " IS NOT NULL) AS __pgt_s";
    }

    private String stamp(String value) {
        return "(pg_catalog.hash_record_extended(ROW((" + value + ")::" + type + "), " + SEED + ") & "
                + (ImmediateFootprint.BUCKETS - 1) + ")";
    }
}
