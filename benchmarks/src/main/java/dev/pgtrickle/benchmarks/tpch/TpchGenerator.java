package dev.pgtrickle.benchmarks.tpch;

import dev.pgtrickle.benchmarks.Db;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * The TPC-H schema and our own generator of its data, server-side ({@code INSERT … SELECT} over
 * {@code generate_series}): the specification's cardinalities and value domains (clause 4.2.3),
 * but not dbgen's code or text grammar — comments are drawn from a small vocabulary of our own,
 * with the phrases the queries look for ({@code special … requests} in some orders,
 * {@code Customer … Complaints} in some suppliers) planted at random.
 *
 * <p>Deterministic: the session that generates runs with {@code max_parallel_workers_per_gather
 * = 0} and seeds {@code random()} with {@code setseed} ({@link #seed}). The orders and their
 * lineitems of a range of order numbers come from one method, {@link #insertOrders}, which the
 * refresh function RF1 reuses for new orders above the largest key.
 */
public final class TpchGenerator {

    /** r_name by r_regionkey. */
    static final List<String> REGIONS = List.of("AFRICA", "AMERICA", "ASIA", "EUROPE", "MIDDLE EAST");

    /** n_name by n_nationkey, and n_regionkey. */
    record Nation(String name, int region) {
    }

    static final List<Nation> NATIONS = List.of(
            new Nation("ALGERIA", 0), new Nation("ARGENTINA", 1), new Nation("BRAZIL", 1), new Nation("CANADA", 1),
            new Nation("EGYPT", 4), new Nation("ETHIOPIA", 0), new Nation("FRANCE", 3), new Nation("GERMANY", 3),
            new Nation("INDIA", 2), new Nation("INDONESIA", 2), new Nation("IRAN", 4), new Nation("IRAQ", 4),
            new Nation("JAPAN", 2), new Nation("JORDAN", 4), new Nation("KENYA", 0), new Nation("MOROCCO", 0),
            new Nation("MOZAMBIQUE", 0), new Nation("PERU", 1), new Nation("CHINA", 2), new Nation("ROMANIA", 3),
            new Nation("SAUDI ARABIA", 4), new Nation("VIETNAM", 2), new Nation("RUSSIA", 3),
            new Nation("UNITED KINGDOM", 3), new Nation("UNITED STATES", 1));

    static final List<String> SEGMENTS = List.of("AUTOMOBILE", "BUILDING", "FURNITURE", "MACHINERY", "HOUSEHOLD");
    static final List<String> PRIORITIES = List.of("1-URGENT", "2-HIGH", "3-MEDIUM", "4-NOT SPECIFIED", "5-LOW");
    static final List<String> SHIP_INSTRUCTIONS = List.of("DELIVER IN PERSON", "COLLECT COD", "NONE", "TAKE BACK RETURN");
    static final List<String> SHIP_MODES = List.of("REG AIR", "AIR", "RAIL", "SHIP", "TRUCK", "MAIL", "FOB");
    /** p_type is one word of each list: e.g. ECONOMY ANODIZED STEEL. */
    static final List<String> TYPE_SIZES = List.of("STANDARD", "SMALL", "MEDIUM", "LARGE", "ECONOMY", "PROMO");
    static final List<String> TYPE_FINISHES = List.of("ANODIZED", "BURNISHED", "PLATED", "POLISHED", "BRUSHED");
    static final List<String> TYPE_MATERIALS = List.of("TIN", "NICKEL", "BRASS", "STEEL", "COPPER");
    /** p_container is one word of each list: e.g. SM CASE, MED BOX. */
    static final List<String> CONTAINER_SIZES = List.of("SM", "LG", "MED", "JUMBO", "WRAP");
    static final List<String> CONTAINER_KINDS = List.of("CASE", "BOX", "BAG", "JAR", "PKG", "PACK", "CAN", "DRUM");
    /** p_name is five distinct words of this list (the specification's colors). */
    static final List<String> COLORS = List.of("almond", "antique", "aquamarine", "azure", "beige", "bisque",
            "black", "blanched", "blue", "blush", "brown", "burlywood", "burnished", "chartreuse", "chiffon",
            "chocolate", "coral", "cornflower", "cornsilk", "cream", "cyan", "dark", "deep", "dim", "dodger", "drab",
            "firebrick", "floral", "forest", "frosted", "gainsboro", "ghost", "goldenrod", "green", "grey",
            "honeydew", "hot", "indian", "ivory", "khaki", "lace", "lavender", "lawn", "lemon", "light", "lime",
            "linen", "magenta", "maroon", "medium", "metallic", "midnight", "mint", "misty", "moccasin", "navajo",
            "navy", "olive", "orange", "orchid", "pale", "papaya", "peach", "peru", "pink", "plum", "powder", "puff",
            "purple", "red", "rose", "rosy", "royal", "saddle", "salmon", "sandy", "seashell", "sienna", "sky",
            "slate", "smoke", "snow", "spring", "steel", "tan", "thistle", "tomato", "turquoise", "violet", "wheat",
            "white", "yellow");
    /**
     * Filler words of the comments (our own; none contains a word a query searches for, so only the
     * planted phrases match {@code %special%requests%} and {@code %Customer%Complaints%}).
     */
    static final List<String> WORDS = List.of("prompt", "late", "urgent", "routine", "careful", "quiet", "steady",
            "final", "partial", "pending", "regular", "express", "early", "weekly", "direct", "formal", "brief",
            "shipment", "invoice", "pallet", "carrier", "warehouse", "delivery", "quote", "ledger", "route",
            "crate", "docket", "manifest", "freight", "parcel", "courier", "stock", "payment", "notice",
            "schedule", "transfer", "balance", "audit", "label", "bundle", "cargo", "receipt", "arrive", "follow",
            "confirm", "wait", "check", "move", "hold", "clear", "match", "sort", "after", "before", "beside",
            "under", "over", "near", "again");

    /** Order dates: 1992-01-01 to 1998-08-02 (the end date 1998-12-31 less 151 days). */
    static final String START_DATE = "1992-01-01";
    static final int ORDER_DATE_DAYS = 2405;
    /** The specification's CURRENTDATE: the return flag and line status follow from it. */
    static final String CURRENT_DATE = "1995-06-17";
    /** Fraction of orders whose comment holds "special … requests". */
    static final double SPECIAL_REQUESTS = 0.01;

    /** The tables of the schema in load order. */
    public static final List<String> TABLES = List.of("region", "nation", "supplier", "customer", "part", "partsupp",
            "orders", "lineitem");

    private final TpchOptions options;

    public TpchGenerator(TpchOptions options) {
        this.options = options;
    }

    /** setseed's argument in [-1, 1] for a seed (and a stream, e.g. a round number). */
    static double seed(long seed, int stream) {
        return Math.floorMod(seed * 1_000_003L + stream, 2_000_003L) / 2_000_003.0;
    }

    /** Creates the eight tables (without keys: they are added after the load, see {@link #createKeys}). */
    public static void createTables(Db db) throws SQLException {
        db.execute("CREATE TABLE region (r_regionkey integer NOT NULL, r_name char(25) NOT NULL,"
                + " r_comment varchar(152) NOT NULL)");
        db.execute("CREATE TABLE nation (n_nationkey integer NOT NULL, n_name char(25) NOT NULL,"
                + " n_regionkey integer NOT NULL, n_comment varchar(152) NOT NULL)");
        db.execute("CREATE TABLE supplier (s_suppkey integer NOT NULL, s_name char(25) NOT NULL,"
                + " s_address varchar(40) NOT NULL, s_nationkey integer NOT NULL, s_phone char(15) NOT NULL,"
                + " s_acctbal numeric(15,2) NOT NULL, s_comment varchar(101) NOT NULL)");
        db.execute("CREATE TABLE customer (c_custkey integer NOT NULL, c_name varchar(25) NOT NULL,"
                + " c_address varchar(40) NOT NULL, c_nationkey integer NOT NULL, c_phone char(15) NOT NULL,"
                + " c_acctbal numeric(15,2) NOT NULL, c_mktsegment char(10) NOT NULL, c_comment varchar(117) NOT NULL)");
        db.execute("CREATE TABLE part (p_partkey integer NOT NULL, p_name varchar(55) NOT NULL,"
                + " p_mfgr char(25) NOT NULL, p_brand char(10) NOT NULL, p_type varchar(25) NOT NULL,"
                + " p_size integer NOT NULL, p_container char(10) NOT NULL, p_retailprice numeric(15,2) NOT NULL,"
                + " p_comment varchar(23) NOT NULL)");
        db.execute("CREATE TABLE partsupp (ps_partkey integer NOT NULL, ps_suppkey integer NOT NULL,"
                + " ps_availqty integer NOT NULL, ps_supplycost numeric(15,2) NOT NULL,"
                + " ps_comment varchar(199) NOT NULL)");
        db.execute("CREATE TABLE orders (o_orderkey integer NOT NULL, o_custkey integer NOT NULL,"
                + " o_orderstatus char(1) NOT NULL, o_totalprice numeric(15,2) NOT NULL, o_orderdate date NOT NULL,"
                + " o_orderpriority char(15) NOT NULL, o_clerk char(15) NOT NULL, o_shippriority integer NOT NULL,"
                + " o_comment varchar(79) NOT NULL)");
        db.execute("CREATE TABLE lineitem (l_orderkey integer NOT NULL, l_partkey integer NOT NULL,"
                + " l_suppkey integer NOT NULL, l_linenumber integer NOT NULL, l_quantity numeric(15,2) NOT NULL,"
                + " l_extendedprice numeric(15,2) NOT NULL, l_discount numeric(15,2) NOT NULL,"
                + " l_tax numeric(15,2) NOT NULL, l_returnflag char(1) NOT NULL, l_linestatus char(1) NOT NULL,"
                + " l_shipdate date NOT NULL, l_commitdate date NOT NULL, l_receiptdate date NOT NULL,"
                + " l_shipinstruct char(25) NOT NULL, l_shipmode char(10) NOT NULL, l_comment varchar(44) NOT NULL)");
    }

    /**
     * Primary keys, and indexes on the foreign-key columns a join probes (lineitem's l_orderkey
     * is the leading column of its primary key).
     */
    public static void createKeys(Db db) throws SQLException {
        db.execute("ALTER TABLE region ADD PRIMARY KEY (r_regionkey)");
        db.execute("ALTER TABLE nation ADD PRIMARY KEY (n_nationkey)");
        db.execute("ALTER TABLE supplier ADD PRIMARY KEY (s_suppkey)");
        db.execute("ALTER TABLE customer ADD PRIMARY KEY (c_custkey)");
        db.execute("ALTER TABLE part ADD PRIMARY KEY (p_partkey)");
        db.execute("ALTER TABLE partsupp ADD PRIMARY KEY (ps_partkey, ps_suppkey)");
        db.execute("ALTER TABLE orders ADD PRIMARY KEY (o_orderkey)");
        db.execute("ALTER TABLE lineitem ADD PRIMARY KEY (l_orderkey, l_linenumber)");
        db.execute("CREATE INDEX lineitem_part_supp ON lineitem (l_partkey, l_suppkey)");
        db.execute("CREATE INDEX lineitem_supp ON lineitem (l_suppkey)");
        db.execute("CREATE INDEX orders_cust ON orders (o_custkey)");
        db.execute("CREATE INDEX partsupp_supp ON partsupp (ps_suppkey)");
        db.execute("CREATE INDEX customer_nation ON customer (c_nationkey)");
        db.execute("CREATE INDEX supplier_nation ON supplier (s_nationkey)");
        db.execute("CREATE INDEX nation_region ON nation (n_regionkey)");
    }

    /**
     * Fills the (empty) tables at the options' scale factor, adds the keys and indexes, and
     * analyzes. {@code gen} must be the generating session (see {@link #prepareSession}).
     */
    public void load(Db gen) throws SQLException {
        gen.execute("SELECT setseed(" + seed(options.seed(), 0) + ")");
        gen.execute("INSERT INTO region (r_regionkey, r_name, r_comment) SELECT k - 1, " + array(REGIONS) + "[k], "
                + words(5, 14, 152) + " FROM generate_series(1, " + REGIONS.size() + ") AS k");
        StringBuilder nations = new StringBuilder();
        for (int key = 0; key < NATIONS.size(); key++) {
            nations.append(key == 0 ? "" : ", ").append('(').append(key).append(", '").append(NATIONS.get(key).name())
                    .append("', ").append(NATIONS.get(key).region()).append(')');
        }
        gen.execute("INSERT INTO nation (n_nationkey, n_name, n_regionkey, n_comment) SELECT k, name, r, "
                + words(5, 14, 152) + " FROM (VALUES " + nations + ") AS v (k, name, r) ORDER BY k");
        loadSuppliers(gen);
        gen.execute("INSERT INTO customer (c_custkey, c_name, c_address, c_nationkey, c_phone, c_acctbal,"
                + " c_mktsegment, c_comment)"
                + " SELECT c, 'Customer#' || lpad(c::text, 9, '0'), " + address() + ", n, " + phone("n") + ", "
                + money(-999.99, 9999.99) + ", " + pick(SEGMENTS) + ", " + words(4, 14, 117)
                + " FROM (SELECT c, " + uniform(0, NATIONS.size() - 1) + " AS n FROM generate_series(1, "
                + options.customers() + ") AS c OFFSET 0) AS g");
        loadParts(gen);
        // Four suppliers per part, by the specification's formula: distinct for 100 or more suppliers.
        gen.execute("INSERT INTO partsupp (ps_partkey, ps_suppkey, ps_availqty, ps_supplycost, ps_comment)"
                + " SELECT p, " + supplierOf("p", "i") + ", " + uniform(1, 9999) + ", " + money(1, 1000) + ", "
                + words(7, 22, 199)
                + " FROM (SELECT x / 4 + 1 AS p, x % 4 AS i FROM generate_series(0, " + (4L * options.parts() - 1)
                + ") AS x) AS g");
        gen.inTransaction(() -> insertOrders(gen, 1, options.orders()));
        createKeys(gen);
        gen.execute("VACUUM (ANALYZE) " + String.join(", ", TABLES));
    }

    /** The settings of the generating session: one process, so that random() is consumed in order. */
    public static void prepareSession(Db gen) throws SQLException {
        gen.execute("SET max_parallel_workers_per_gather = 0");
        gen.execute("SET synchronize_seqscans = off");
    }

    private void loadSuppliers(Db gen) throws SQLException {
        // SF × 5 suppliers complain, SF × 5 others recommend (at least one each), chosen by the seed.
        int planted = Math.max(1, (int) Math.round(5 * options.scale()));
        Random random = new Random(options.seed());
        TreeSet<Integer> chosen = new TreeSet<>();
        while (chosen.size() < Math.min(2 * planted, options.suppliers())) {
            chosen.add(1 + random.nextInt(options.suppliers()));
        }
        List<Integer> shuffled = new ArrayList<>(chosen);
        Collections.shuffle(shuffled, random);
        List<Integer> complaints = shuffled.subList(0, shuffled.size() / 2);
        List<Integer> recommends = shuffled.subList(shuffled.size() / 2, shuffled.size());
        gen.execute("INSERT INTO supplier (s_suppkey, s_name, s_address, s_nationkey, s_phone, s_acctbal, s_comment)"
                + " SELECT s, 'Supplier#' || lpad(s::text, 9, '0'), " + address() + ", n, " + phone("n") + ", "
                + money(-999.99, 9999.99) + ","
                + " CASE WHEN s IN (" + keys(complaints) + ") THEN " + planted("Customer", "Complaints", 101)
                + " WHEN s IN (" + keys(recommends) + ") THEN " + planted("Customer", "Recommends", 101)
                + " ELSE " + words(4, 13, 101) + " END"
                + " FROM (SELECT s, " + uniform(0, NATIONS.size() - 1) + " AS n FROM generate_series(1, "
                + options.suppliers() + ") AS s OFFSET 0) AS g");
    }

    private void loadParts(Db gen) throws SQLException {
        // Five distinct colors: positions a, a + b, …, a + 4b modulo 92, with b not a multiple of 23
        // (92 = 4 × 23), so no two coincide.
        int n = COLORS.size();
        String step = "(CASE WHEN b % 23 = 0 THEN b + 1 ELSE b END)";
        StringBuilder name = new StringBuilder();
        for (int k = 0; k < 5; k++) {
            name.append(k == 0 ? "" : " || ' ' || ").append(array(COLORS)).append("[1 + (a + ").append(k)
                    .append(" * ").append(step).append(") % ").append(n).append(']');
        }
        gen.execute("INSERT INTO part (p_partkey, p_name, p_mfgr, p_brand, p_type, p_size, p_container,"
                + " p_retailprice, p_comment)"
                + " SELECT p, " + name + ", 'Manufacturer#' || m, 'Brand#' || m || " + uniform(1, 5) + ", "
                + pick(TYPE_SIZES) + " || ' ' || " + pick(TYPE_FINISHES) + " || ' ' || " + pick(TYPE_MATERIALS) + ", "
                + uniform(1, 50) + ", " + pick(CONTAINER_SIZES) + " || ' ' || " + pick(CONTAINER_KINDS) + ", "
                + retailPrice("p") + ", " + words(1, 3, 23)
                + " FROM (SELECT p, floor(random() * " + n + ")::int AS a, " + uniform(1, n - 1) + " AS b, "
                + uniform(1, 5) + " AS m FROM generate_series(1, " + options.parts() + ") AS p OFFSET 0) AS g");
    }

    /** Orders and lineitems inserted by {@link #insertOrders}. */
    public record Inserted(long orders, long lineitems) {
    }

    /**
     * Inserts the orders number {@code first} to {@code last} (1-based; the n-th order has the
     * key {@link #orderKey}) and their 1–7 lineitems each; o_totalprice and o_orderstatus follow
     * from the lineitems. Runs in the caller's transaction (a temporary table of the new orders is
     * dropped at commit); the orders' keys must all be above every existing key.
     */
    public Inserted insertOrders(Db gen, long first, long last) throws SQLException {
        String clerk = "'Clerk#' || lpad(" + uniform(1, options.clerks()) + "::text, 9, '0')";
        gen.execute("CREATE TEMP TABLE tpch_new_orders ON COMMIT DROP AS"
                + " SELECT " + orderKey("i") + " AS o_orderkey,"
                + " c - CASE WHEN c % 3 = 0 THEN 1 ELSE 0 END AS o_custkey," // a third of the customers never order
                + " date '" + START_DATE + "' + " + uniform(0, ORDER_DATE_DAYS) + " AS o_orderdate,"
                + " " + pick(PRIORITIES) + " AS o_orderpriority, " + clerk + " AS o_clerk,"
                + " CASE WHEN random() < " + SPECIAL_REQUESTS + " THEN " + planted("special", "requests", 79)
                + " ELSE " + words(3, 10, 79) + " END AS o_comment,"
                + " " + uniform(1, 7) + " AS o_lines"
                + " FROM (SELECT i, " + uniform(1, options.customers()) + " AS c FROM generate_series(" + first + "::bigint, "
                + last + ") AS i OFFSET 0) AS g");
        String receipt = "o_orderdate + ship + arrive";
        long lineitems = rows(gen, "INSERT INTO lineitem (l_orderkey, l_partkey, l_suppkey, l_linenumber, l_quantity,"
                + " l_extendedprice, l_discount, l_tax, l_returnflag, l_linestatus, l_shipdate, l_commitdate,"
                + " l_receiptdate, l_shipinstruct, l_shipmode, l_comment)"
                + " SELECT o_orderkey, p, " + supplierOf("p", "slot") + ", line, quantity, quantity * " + retailPrice("p")
                + ", discount, tax,"
                + " CASE WHEN " + receipt + " <= date '" + CURRENT_DATE + "' THEN CASE WHEN returned THEN 'R' ELSE 'A' END"
                + " ELSE 'N' END,"
                + " CASE WHEN o_orderdate + ship > date '" + CURRENT_DATE + "' THEN 'O' ELSE 'F' END,"
                + " o_orderdate + ship, o_orderdate + commit, " + receipt + ", instruct, mode, comment"
                + " FROM (SELECT o.o_orderkey, o.o_orderdate, line, " + uniform(1, options.parts()) + " AS p,"
                + " " + uniform(0, 3) + " AS slot, " + uniform(1, 50) + " AS quantity,"
                + " " + uniform(0, 10) + " / 100.0 AS discount, " + uniform(0, 8) + " / 100.0 AS tax,"
                + " " + uniform(1, 121) + " AS ship, " + uniform(30, 90) + " AS commit, " + uniform(1, 30) + " AS arrive,"
                + " random() < 0.5 AS returned, " + pick(SHIP_INSTRUCTIONS) + " AS instruct, " + pick(SHIP_MODES) + " AS mode,"
                + " " + words(2, 6, 44) + " AS comment"
                + " FROM tpch_new_orders AS o CROSS JOIN LATERAL generate_series(1, o.o_lines) AS line OFFSET 0) AS g");
        long orders = rows(gen, "INSERT INTO orders (o_orderkey, o_custkey, o_orderstatus, o_totalprice, o_orderdate,"
                + " o_orderpriority, o_clerk, o_shippriority, o_comment)"
                + " SELECT o.o_orderkey, o.o_custkey, CASE WHEN l.f = l.n THEN 'F' WHEN l.f = 0 THEN 'O' ELSE 'P' END,"
                + " l.total, o.o_orderdate, o.o_orderpriority, o.o_clerk, 0, o.o_comment"
                + " FROM tpch_new_orders AS o JOIN (SELECT l_orderkey, count(*) AS n,"
                + " count(*) FILTER (WHERE l_linestatus = 'F') AS f, " + TOTAL_PRICE + " AS total"
                + " FROM lineitem WHERE l_orderkey BETWEEN " + orderKey(first) + " AND " + orderKey(last)
                + " GROUP BY l_orderkey) AS l ON l.l_orderkey = o.o_orderkey ORDER BY o.o_orderkey");
        return new Inserted(orders, lineitems);
    }

    /** o_totalprice of an order, over its lineitems. */
    static final String TOTAL_PRICE = "sum(l_extendedprice * (1 + l_tax) * (1 - l_discount))";

    /**
     * The key of the n-th order: keys are sparse, only the first 8 of every 32 are used (as in
     * the specification), so that the orders of a range of n lie in a range of keys.
     */
    static long orderKey(long n) {
        return (n - 1) / 8 * 32 + (n - 1) % 8 + 1;
    }

    private static String orderKey(String n) {
        return "((" + n + " - 1) / 8 * 32 + (" + n + " - 1) % 8 + 1)::int";
    }

    /** Row counts of the eight tables, in {@link #TABLES} order. */
    public static Map<String, Long> rowCounts(Db db) throws SQLException {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String table : TABLES) {
            counts.put(table, db.queryLong("SELECT count(*) FROM " + table));
        }
        return counts;
    }

    /** Runs a statement and returns the rows it inserted, updated or deleted. */
    static long rows(Db db, String sql) throws SQLException {
        try (Statement statement = db.connection().createStatement()) {
            return statement.executeLargeUpdate(sql);
        }
    }

    // SQL fragments. Each random() call is evaluated once per row.

    /** A uniform random integer in [low, high]. */
    static String uniform(long low, long high) {
        return "(" + low + " + floor(random() * " + (high - low + 1) + "))::int";
    }

    /** A uniform random amount in [low, high], in cents. */
    static String money(double low, double high) {
        long lowCents = Math.round(low * 100);
        long highCents = Math.round(high * 100);
        return "((" + lowCents + " + floor(random() * " + (highCents - lowCents + 1) + ")) / 100)::numeric(15,2)";
    }

    /** One value of the list, uniformly. */
    static String pick(List<String> values) {
        return array(values) + "[" + uniform(1, values.size()) + "]";
    }

    static String array(List<String> values) {
        return "(ARRAY['" + String.join("', '", values) + "'])";
    }

    /** {@code min} to {@code max} words of the vocabulary, cut to {@code limit} characters. */
    static String words(int min, int max, int limit) {
        StringBuilder sql = new StringBuilder("left(").append(pick(WORDS));
        for (int k = 1; k < min; k++) {
            sql.append(" || ' ' || ").append(pick(WORDS));
        }
        for (int k = Math.max(min, 1); k < max; k++) {
            sql.append(" || CASE WHEN random() < 0.5 THEN ' ' || ").append(pick(WORDS)).append(" ELSE '' END");
        }
        return sql.append(", ").append(limit).append(')').toString();
    }

    /** A comment holding {@code first}, then other words, then {@code second}, cut to {@code limit}. */
    private static String planted(String first, String second, int limit) {
        return "left(" + words(1, 3, 40) + " || ' " + first + " ' || " + words(1, 2, 30) + " || ' " + second + " ' || "
                + words(1, 3, 40) + ", " + limit + ")";
    }

    /** Random hexadecimal text of 10–40 characters. */
    private static String address() {
        return "left(md5(random()::text) || md5(random()::text), " + uniform(10, 40) + ")";
    }

    /** The specification's phone number: country code nation + 10, then three random groups. */
    private static String phone(String nation) {
        return "(" + nation + " + 10)::text || '-' || " + uniform(100, 999) + " || '-' || " + uniform(100, 999)
                + " || '-' || " + uniform(1000, 9999);
    }

    /** The specification's retail price of a part: (90000 + ((p / 10) mod 20001) + 100 × (p mod 1000)) / 100. */
    static String retailPrice(String part) {
        return "((90000 + (" + part + " / 10) % 20001 + 100 * (" + part + " % 1000)) / 100.0)::numeric(15,2)";
    }

    /** The specification's i-th supplier (0–3) of a part. */
    String supplierOf(String part, String slot) {
        int s = options.suppliers();
        return "((" + part + " + " + slot + " * (" + (s / 4) + " + (" + part + " - 1) / " + s + ")) % " + s + " + 1)";
    }

    private static String keys(List<Integer> keys) {
        StringBuilder sql = new StringBuilder();
        keys.forEach(k -> sql.append(sql.length() == 0 ? "" : ", ").append(k));
        return sql.toString();
    }
}
