package dev.pgtrickle.ivm.front;

import dev.pgtrickle.ivm.plan.UnsupportedQueryException;
import net.sf.jsqlparser.parser.CCJSqlParserUtil;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;

class CanonicalTextTest {

    @Test
    void literalsAreMaskedOncePerDistinctTextAndPutBack() throws Exception {
        CanonicalText text = CanonicalText.of("SELECT 'a''b'::text, 'x', 'a''b', \"q'uoted\" FROM t");
        assertEquals("SELECT '__pgt_lit_0'::text, '__pgt_lit_1', '__pgt_lit_0', \"q'uoted\" FROM t", text.parseable());
        assertEquals("SELECT 'a''b'::text, 'x', 'a''b', \"q'uoted\" FROM t",
                text.sql(CCJSqlParserUtil.parse(text.parseable())));
    }

    @Test
    void quotedIdentifiersWithDotsAreMaskedAndPutBack() throws Exception {
        // JSqlParser reads "a.b" in a column reference as column b of table a.
        CanonicalText text = CanonicalText.of("SELECT t.\"a.b\", \"a.b\" AS \"x.y\", \"c\" FROM \"s.1\".\"a.b\" t");
        assertEquals("SELECT t.\"__pgt_id_0\", \"__pgt_id_0\" AS \"__pgt_id_1\", \"c\""
                + " FROM \"__pgt_id_2\".\"__pgt_id_0\" t", text.parseable());
        assertEquals("SELECT t.\"a.b\", \"a.b\" AS \"x.y\", \"c\" FROM \"s.1\".\"a.b\" t",
                text.sql(CCJSqlParserUtil.parse(text.parseable())));
        assertEquals("a.b", text.name("\"__pgt_id_0\""));
        assertEquals("x.y", text.name("\"__pgt_id_1\""));
        assertEquals("a\"b", text.name("\"a\"\"b\""));
        assertEquals("mixed", text.name("Mixed"));
    }

    @Test
    void namesWithPgtricklesPrefixAreRefusedLiteralsAreNot() throws Exception {
        for (String sql : List.of("SELECT id FROM public.t \"__pgt_storage__\"", "SELECT id AS __pgt_x FROM public.t",
                "SELECT \"__pgt_key_1\" FROM public.t")) {
            UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class, () -> CanonicalText.of(sql));
            assertTrue(e.getMessage().contains("reserved"), e.getMessage());
        }
        CanonicalText.of("SELECT '__pgt_storage__', \"x__pgt_\" FROM public.t");
        // Refreshes replace the storage table's placeholder wherever it is, literals included.
        assertThrows(UnsupportedQueryException.class, () -> CanonicalText.of("SELECT 'a\"__pgt_storage__\"' FROM public.t"));
        assertThrows(UnsupportedQueryException.class, () -> CanonicalText.of("SELECT 1 AS \"a \"\"__pgt_storage__\"\"\" FROM public.t"));
        assertThrows(UnsupportedQueryException.class, () -> CanonicalText.of("SELECT 'a\"__pgt_kept_1__\"' FROM public.t"));
    }

    @Test
    void escapeStringsAreLiteralsToo() throws Exception {
        CanonicalText text = CanonicalText.of("SELECT E'it\\'s', e'\\\\' FROM t");
        assertEquals("SELECT '__pgt_lit_0', '__pgt_lit_1' FROM t", text.parseable());
        assertEquals("SELECT E'it\\'s', e'\\\\' FROM t", text.sql(text.parseable()));
    }

    @Test
    void likeOperatorsBecomeKeywords() throws Exception {
        CanonicalText text = CanonicalText.of("(a ~~ b) (a !~~ b) (a ~~* b) (a !~~* b) (a ~ b) (a !~* b)");
        assertEquals("(a  LIKE  b) (a  NOT LIKE  b) (a  ILIKE  b) (a  NOT ILIKE  b) (a ~ b) (a !~* b)",
                text.parseable());
    }

    @Test
    void arrowStandsInAsNotEqualsAndComesBack() throws Exception {
        CanonicalText text = CanonicalText.of("SELECT ((j -> 'a'::text) -> 0) AS \"x != y\" FROM t");
        assertEquals("SELECT ((j != '__pgt_lit_0'::text) != 0) AS \"x != y\" FROM t", text.parseable());
        assertEquals("SELECT ((j -> 'a'::text) -> 0) AS \"x != y\" FROM t",
                text.sql(CCJSqlParserUtil.parse(text.parseable())));
    }

    @Test
    void wordsJsqlparserReservesAreQuoted() throws Exception {
        CanonicalText text = CanonicalText.of("SELECT top.minus, \"sample\", MINUS, minus_x FROM public.emp top");
        assertEquals("SELECT \"top\".\"minus\", \"sample\", MINUS, minus_x FROM public.emp \"top\"", text.parseable());
    }

    @Test
    void namesJsqlparserReadsAsSyntaxAreQuotedOnlyWhereTheyAreNames() throws Exception {
        // As PostgreSQL 18 prints columns named year, day, double, varying, second and enum.
        CanonicalText text = CanonicalText.of("""
                SELECT year,
                    t.day,
                    double,
                    varying,
                    enum,
                    EXTRACT(year FROM ts) AS a,
                    '1 year'::interval year AS b,
                    '00:00:01'::interval day to second AS c,
                    (1)::double precision AS d,
                    (varying)::character varying AS e,
                    ('1'::"bit")::bit varying AS f
                   FROM public.kwt t""");
        assertEquals("""
                SELECT "year",
                    t."day",
                    "double",
                    "varying",
                    "enum",
                    EXTRACT(year FROM ts) AS a,
                    '__pgt_lit_0'::interval year AS b,
                    '__pgt_lit_1'::interval day to second AS c,
                    (1)::double precision AS d,
                    ("varying")::character varying AS e,
                    ('__pgt_lit_2'::"bit")::bit varying AS f
                   FROM public.kwt t""", text.parseable());
        CCJSqlParserUtil.parse(text.parseable());
    }

    @Test
    void unknownOperatorIsRefused() {
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class,
                () -> CanonicalText.of("SELECT (j #- '{a}'::text[]) FROM t"));
        assertEquals("operator #-", e.construct());
    }

    @Test
    void operatorCharactersInsideLiteralsAndIdentifiersAreNotOperators() throws Exception {
        CanonicalText text = CanonicalText.of("SELECT '#-', \"a#-b\" FROM t");
        assertEquals("SELECT '__pgt_lit_0', \"a#-b\" FROM t", text.parseable());
    }

    @Test
    void unterminatedLiteralIsRefused() {
        UnsupportedQueryException e = assertThrows(UnsupportedQueryException.class,
                () -> CanonicalText.of("SELECT 'abc FROM t"));
        assertEquals("'abc FROM t", e.construct());
    }
}
