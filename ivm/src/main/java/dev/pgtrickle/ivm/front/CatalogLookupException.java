package dev.pgtrickle.ivm.front;

/** A {@link RelationCatalog} could not read the database catalog. */
public final class CatalogLookupException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public CatalogLookupException(String message, Throwable cause) {
        super(message, cause);
    }
}
