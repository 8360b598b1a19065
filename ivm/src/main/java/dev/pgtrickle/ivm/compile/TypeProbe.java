package dev.pgtrickle.ivm.compile;

import java.sql.SQLException;
import java.util.List;

/**
 * Tells the PostgreSQL type names of a query's output columns, without running it; a numeric
 * with a declared precision and scale is named {@code numeric(p,s)}, an unconstrained one
 * {@code numeric}.
 */
@FunctionalInterface
public interface TypeProbe {

    List<String> columnTypes(String query) throws SQLException;
}
