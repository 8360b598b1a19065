package dev.pgtrickle.cli.command;

/** Values of {@code refresh_mode}; an enum so picocli rejects typos before reaching the database. */
public enum RefreshMode {
    AUTO, FULL, DIFFERENTIAL, IMMEDIATE
}
