package dev.pgtrickle.core.catalog;

/**
 * Outcome of {@link CatalogInstaller#install}.
 *
 * @param previousVersion catalog version before the call, {@code null} when there was no catalog
 * @param currentVersion catalog version after the call
 * @param migrationsApplied number of migrations applied by this call (0: already up to date)
 */
public record InstallResult(String previousVersion, String currentVersion, int migrationsApplied) {

    public boolean freshInstall() {
        return previousVersion == null && migrationsApplied > 0;
    }

    /** One line for humans, e.g. "pgtrickle catalog installed (version 1)". */
    public String describe() {
        if (migrationsApplied == 0) {
            return "pgtrickle catalog already up to date (version " + currentVersion + ")";
        }
        if (previousVersion == null) {
            return "pgtrickle catalog installed (version " + currentVersion + ")";
        }
        if (previousVersion.equals(currentVersion)) {
            return "pgtrickle catalog refreshed (version " + currentVersion + ")";
        }
        return "pgtrickle catalog upgraded from version " + previousVersion + " to " + currentVersion;
    }
}
