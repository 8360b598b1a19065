/**
 * Randomized property tests of differential refresh: the main guard of invariant I3
 * (differential == full), with I1/I4 under concurrent writers.
 *
 * <ul>
 *   <li>{@link dev.pgtrickle.it.fuzz.DifferentialFuzzTest}: every query shape of
 *       {@link dev.pgtrickle.it.fuzz.Shapes} for every seed, plus several shapes sharing their
 *       sources ({@code shared_sources});</li>
 *   <li>{@link dev.pgtrickle.it.fuzz.ConcurrentWriterFuzzTest}: a transaction kept open across
 *       refreshes, and writer threads running while two sessions refresh;</li>
 *   <li>{@link dev.pgtrickle.it.fuzz.FuzzScriptReplayTest}: replays the script a failure wrote.</li>
 * </ul>
 *
 * <p>After every refresh: the stream table equals its query as a multiset (symmetric
 * {@code EXCEPT ALL}), its hidden columns are consistent ({@code __pgt_dup} exactly 1..n per row
 * identity, {@code __pgt_count} positive per stored group), and the history shows DIFFERENTIAL
 * (REINITIALIZE after a TRUNCATE of a source), so a silent fallback to FULL cannot pass.
 *
 * <pre>
 * # CI: fixed seeds 1..5 for every shape and scenario
 * mvn -B -ntp -pl integration-tests test -Dtest='dev.pgtrickle.it.fuzz.*Test'
 * # longer runs
 * mvn -B -ntp -pl integration-tests test -Dtest='dev.pgtrickle.it.fuzz.*Test' -Dpgtrickle.fuzz.iterations=30 -Dpgtrickle.fuzz.rounds=12
 * # seeds CI does not run (here 101..120)
 * mvn -B -ntp -pl integration-tests test -Dtest=ImmediateFuzzTest -Dpgtrickle.fuzz.firstSeed=101 -Dpgtrickle.fuzz.iterations=20
 * # replay one failure (the failure message prints these flags)
 * mvn -B -ntp -pl integration-tests test -Dtest=DifferentialFuzzTest -Dpgtrickle.fuzz.seed=3 -Dpgtrickle.fuzz.shape=self_join
 * </pre>
 *
 * See {@link dev.pgtrickle.it.fuzz.FuzzConfig} for every knob.
 */
package dev.pgtrickle.it.fuzz;
