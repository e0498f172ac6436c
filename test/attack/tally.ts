/*
 * Counts the attack cases the suites in test/attack run (one per hostile request or connection
 * checked), and prints the total once the run is over.
 */
const counts = new Map<string, number>();

export function countAttack(suite: string, cases = 1): void {
  counts.set(suite, (counts.get(suite) ?? 0) + cases);
}

// A root-level hook: registered when the first attack suite loads.
after(() => {
  if (counts.size === 0) return;
  const total = [...counts.values()].reduce((sum, count) => sum + count, 0);
  const parts = [...counts].map(([suite, count]) => `${suite} ${count}`).join(', ');
  console.log(`\n  attack cases: ${total} (${parts})`);
});
