-- Demo data for `pgtrickle playground`. Idempotent: a second run over the same data directory
-- leaves existing tables, rows and stream tables as they are.

CREATE SCHEMA IF NOT EXISTS demo;

CREATE TABLE IF NOT EXISTS demo.customers (
    id     int PRIMARY KEY,
    name   text NOT NULL,
    region text NOT NULL
);

INSERT INTO demo.customers (id, name, region)
SELECT g, 'Customer ' || g, (ARRAY['north', 'south', 'east', 'west'])[1 + g % 4]
FROM generate_series(1, 100) AS g
ON CONFLICT (id) DO NOTHING;

CREATE TABLE IF NOT EXISTS demo.orders (
    id          bigserial PRIMARY KEY,
    customer_id int NOT NULL REFERENCES demo.customers,
    amount      numeric(12,2) NOT NULL,
    status      text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Deterministic pseudo-random amounts between 1.00 and 999.99 (about 10% above 900).
INSERT INTO demo.orders (customer_id, amount, status, created_at)
SELECT 1 + (g * 37) % 100,
       1 + (g * 7919) % 99900 / 100.0,
       (ARRAY['new', 'paid', 'shipped'])[1 + g % 3],
       now() - make_interval(mins => g)
FROM generate_series(1, 2000) AS g
WHERE NOT EXISTS (SELECT FROM demo.orders);

SELECT pgtrickle.create_stream_table_if_not_exists(
    name     => 'demo.revenue_by_region',
    query    => $$SELECT c.region, count(*) AS orders, sum(o.amount) AS revenue FROM demo.orders o JOIN demo.customers c ON c.id = o.customer_id GROUP BY c.region$$,
    schedule => '5s');

SELECT pgtrickle.create_stream_table_if_not_exists(
    name     => 'demo.large_orders',
    query    => $$SELECT id, customer_id, amount FROM demo.orders WHERE amount > 900$$,
    schedule => '5s');
