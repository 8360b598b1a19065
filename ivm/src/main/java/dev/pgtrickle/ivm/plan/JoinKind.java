package dev.pgtrickle.ivm.plan;

/** The kinds of {@link Join}. SEMI and ANTI come from EXISTS, IN and their negations. */
public enum JoinKind {
    INNER("Inner join"),
    LEFT("Left join"),
    RIGHT("Right join"),
    FULL("Full join"),
    /** The left rows that have a match (EXISTS, IN); only the left columns are output. */
    SEMI("Semi join"),
    /** The left rows that have no match (NOT EXISTS, NOT IN); only the left columns are output. */
    ANTI("Anti join");

    private final String title;

    JoinKind(String title) {
        this.title = title;
    }

    public String title() {
        return title;
    }

    /** Whether the right input's columns are part of the output. */
    public boolean outputsRight() {
        return this != SEMI && this != ANTI;
    }

    /** Whether left rows without a match are output, padded with NULLs. */
    public boolean padsLeft() {
        return this == LEFT || this == FULL;
    }

    /** Whether right rows without a match are output, padded with NULLs. */
    public boolean padsRight() {
        return this == RIGHT || this == FULL;
    }
}
