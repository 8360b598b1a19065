package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.QueryPlan;
import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import net.sf.jsqlparser.JSQLParserException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import net.sf.jsqlparser.parser.ParseException;
import net.sf.jsqlparser.parser.Token;
import net.sf.jsqlparser.statement.Statement;
import net.sf.jsqlparser.statement.select.Select;

/**
 * Parses a stream table's canonical query (PostgreSQL's own deparse of it, every relation outside
 * pg_catalog schema-qualified) into the logical operator tree the differential compiler works on.
 * Views are expanded into their definitions, non-recursive CTEs inlined as subqueries.
 */
public final class QueryParser {

    /**
     * @throws UnsupportedQueryException if the query uses a construct that cannot be refreshed
     *     differentially (yet); the exception names the construct
     * @throws CatalogLookupException if the catalog cannot be read
     */
    public QueryPlan parse(String canonicalSql, RelationCatalog catalog) throws UnsupportedQueryException {
        CanonicalText text = CanonicalText.of(canonicalSql);
        Statement statement;
        try {
            statement = CCJSqlParserUtil.parse(text.parseable());
        } catch (JSQLParserException e) {
            throw new UnsupportedQueryException(failedExcerpt(text, e),
                    "the differential compiler cannot parse this query: " + firstLine(e));
        }
        if (!(statement instanceof Select select)) {
            throw new UnsupportedQueryException(excerpt(canonicalSql), "not a query");
        }
        return new QueryTranslator(text, ColumnUse.of(canonicalSql), catalog).top(select);
    }

    /** The text from the token JSqlParser stumbled on, else the start of the query. */
    private static String failedExcerpt(CanonicalText text, JSQLParserException e) {
        String parseable = text.parseable();
        ParseException failure = parseException(e);
        if (failure != null && failure.currentToken != null && failure.currentToken.next != null) {
            Token bad = failure.currentToken.next;
            int offset = 0;
            for (int line = 1; line < bad.beginLine; line++) {
                offset = parseable.indexOf('\n', offset) + 1;
            }
            offset += bad.beginColumn - 1;
            if (offset < parseable.length()) {
                return excerpt(text.sql(parseable.substring(offset)));
            }
        }
        return excerpt(text.sql(parseable));
    }

    private static ParseException parseException(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause()) {
            if (cause instanceof ParseException p) {
                return p;
            }
        }
        return null;
    }

    private static String excerpt(String sql) {
        String flat = sql.strip().replaceAll("\\s+", " ");
        return flat.length() <= 60 ? flat : flat.substring(0, 60) + " ...";
    }

    private static String firstLine(JSQLParserException e) {
        ParseException failure = parseException(e);
        String message = failure != null ? failure.getMessage() : e.getMessage();
        String line = message == null ? "" : message.strip().lines().findFirst().orElse("");
        // The position is one in the rewritten text; the construct shows where instead.
        return line.replaceFirst(",? at line \\d+, column \\d+.*", "");
    }
}
