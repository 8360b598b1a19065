package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.sf.jsqlparser.expression.Expression;
import net.sf.jsqlparser.expression.operators.conditional.OrExpression;

/**
 * Conditions an OR implies that can be placed lower than the OR itself, as PostgreSQL's planner
 * derives them for a single query: a conjunct that every disjunct has (a join equality repeated
 * in each branch), and, per alias, the OR of each disjunct's conditions on that alias alone. In
 * {@code (n1.name = 'FRANCE' AND n2.name = 'GERMANY') OR (n1.name = 'GERMANY' AND n2.name =
 * 'FRANCE')} these are {@code n1.name = 'FRANCE' OR n1.name = 'GERMANY'} and the same for n2.
 *
 * <p>The delta rules evaluate each join of a chain in a statement of its own (a CTE), so the
 * planner cannot see an OR placed at the last join while it joins the first ones; placed on
 * their input, the implied conditions cut a change's rows down where the input is read. They add
 * nothing to the result: the OR itself stays where it was.
 */
final class ImpliedConditions {

    private ImpliedConditions() {
    }

    /** The conditions {@code conjunct} implies besides itself; none unless it is an OR over several aliases. */
    static List<Condition> of(Expression conjunct, Expressions expressions) throws UnsupportedQueryException {
        List<Expression> disjuncts = new ArrayList<>();
        disjuncts(Expressions.unparenthesized(conjunct), disjuncts);
        if (disjuncts.size() < 2 || expressions.aliases(conjunct).size() < 2) {
            return List.of();
        }
        List<Condition> implied = new ArrayList<>();
        List<List<Expression>> branches = new ArrayList<>();
        for (Expression disjunct : disjuncts) {
            branches.add(Expressions.conjuncts(disjunct));
        }
        for (Expression shared : branches.get(0)) {
            String text = expressions.comparable(shared);
            if (branches.stream().allMatch(b -> b.stream().anyMatch(e -> expressions.comparable(e).equals(text)))) {
                implied.add(expressions.condition(shared));
            }
        }
        Map<String, List<String>> perAlias = new LinkedHashMap<>();
        for (String alias : expressions.aliases(conjunct)) {
            List<String> branchConditions = new ArrayList<>();
            for (List<Expression> branch : branches) {
                List<String> own = new ArrayList<>();
                for (Expression e : branch) {
                    if (expressions.aliases(e).equals(Set.of(alias))) {
                        own.add(expressions.scalar(e));
                    }
                }
                if (own.isEmpty()) {
                    break;
                }
                branchConditions.add(own.size() == 1 ? own.get(0) : "(" + String.join(" AND ", own) + ")");
            }
            // The same conditions in every branch are conjuncts every disjunct has, implied above.
            if (branchConditions.size() == branches.size() && new LinkedHashSet<>(branchConditions).size() > 1) {
                perAlias.put(alias, branchConditions);
            }
        }
        for (Map.Entry<String, List<String>> alias : perAlias.entrySet()) {
            implied.add(new Condition("(" + String.join(" OR ", new LinkedHashSet<>(alias.getValue())) + ")",
                    Set.of(alias.getKey())));
        }
        return implied;
    }

    private static void disjuncts(Expression e, List<Expression> into) {
        if (e instanceof OrExpression or) {
            disjuncts(Expressions.unparenthesized(or.getLeftExpression()), into);
            disjuncts(Expressions.unparenthesized(or.getRightExpression()), into);
        } else {
            into.add(e);
        }
    }
}
