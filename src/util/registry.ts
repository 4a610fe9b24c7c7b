/**
 * A process-wide list that modules add themselves to while they run (CI variable providers, job-finish
 * listeners): `add` returns the function that takes the entry out again, e.g. when a server closes.
 *
 * @example
 * const listeners = registry<(job: Job) => void>();
 * const off = listeners.add((job) => console.log(job.id));
 * for (const listener of listeners.entries()) listener(job);
 * off();
 */
export function registry<T>() {
  const entries: T[] = [];
  return {
    add(entry: T): () => void {
      entries.push(entry);
      return () => {
        const index = entries.indexOf(entry);
        if (index >= 0) entries.splice(index, 1);
      };
    },
    entries(): readonly T[] {
      return entries;
    },
  };
}
