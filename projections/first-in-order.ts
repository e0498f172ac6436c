/**
 * The `wanted` smallest of 0..count-1 by `compare`, in order: a page of a few hundred matches
 * costs about one comparison per match instead of a full sort (ids break every tie).
 */
export function firstInOrder(count: number, wanted: number, compare: (a: number, b: number) => number): number[] {
  const best: number[] = [];
  for (let match = 0; match < count; match += 1) {
    if (best.length === wanted && compare(match, best[wanted - 1]) > 0) continue;
    let low = 0;
    let high = best.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compare(best[middle], match) < 0) low = middle + 1;
      else high = middle;
    }
    best.splice(low, 0, match);
    if (best.length > wanted) best.pop();
  }
  return best;
}
