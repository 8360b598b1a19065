package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.Condition;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
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

    /** A conjunct of one disjunct, with what the rules ask of it, worked out once. */
    private record Part(Expression expression, String comparable, Set<String> aliases) {
    }

    /** The conditions {@code conjunct} implies besides itself; none unless it is an OR over several aliases. */
    static List<Condition> of(Expression conjunct, Expressions expressions) throws UnsupportedQueryException {
        List<Expression> disjuncts = new ArrayList<>();
        disjuncts(Expressions.unparenthesized(conjunct), disjuncts);
        Set<String> aliases = expressions.aliases(conjunct);
        if (disjuncts.size() < 2 || aliases.size() < 2) {
            return List.of();
        }
        List<List<Part>> branches = new ArrayList<>();
        for (Expression disjunct : disjuncts) {
            List<Part> parts = new ArrayList<>();
            for (Expression e : Expressions.conjuncts(disjunct)) {
                parts.add(new Part(e, expressions.comparable(e), expressions.aliases(e)));
            }
            branches.add(parts);
        }
        List<Condition> implied = new ArrayList<>();
        for (Part shared : branches.get(0)) {
            if (branches.stream().allMatch(b -> b.stream().anyMatch(p -> p.comparable().equals(shared.comparable())))) {
                implied.add(expressions.condition(shared.expression()));
            }
        }
        for (String alias : aliases) {
            Set<String> branchConditions = new LinkedHashSet<>();
            for (List<Part> branch : branches) {
                List<String> own = new ArrayList<>();
                for (Part part : branch) {
                    if (part.aliases().equals(Set.of(alias))) {
                        own.add(expressions.scalar(part.expression()));
                    }
                }
                if (own.isEmpty()) {
                    branchConditions = null;
                    break;
                }
                branchConditions.add(own.size() == 1 ? own.get(0) : "(" + String.join(" AND ", own) + ")");
            }
            // The same conditions in every branch are conjuncts every disjunct has, implied above.
            if (branchConditions != null && branchConditions.size() > 1) {
                implied.add(new Condition("(" + String.join(" OR ", branchConditions) + ")", Set.of(alias)));
            }
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
