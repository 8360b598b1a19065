/**
 * A published stream table's changes, read through PostgreSQL logical replication with the
 * Debezium embedded engine ({@code pgtrickle subscribe}; docs/sql-reference.md, "Publications").
 */
package dev.pgtrickle.subscribe;
