package dev.pgtrickle.ivm.compile;

/** One operator of a compiled plan, for {@code explain}: what it is and how its delta is computed. */
public record ExplainLine(int depth, String operator, String strategy) {
}
