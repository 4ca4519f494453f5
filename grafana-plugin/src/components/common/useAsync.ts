import { useCallback, useEffect, useState } from 'react';

export interface AsyncState<T> {
  value?: T;
  error?: unknown;
  loading: boolean;
  /** Runs the loader again, keeping the old value on screen until the new one arrives. */
  reload: () => void;
}

/**
 * Loads with `load` whenever `deps` change; answers that arrive after a newer request started are
 * dropped, so a slow old page never overwrites a new one. `refreshMs` > 0 reloads periodically.
 */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[], refreshMs = 0): AsyncState<T> {
  const [tick, setTick] = useState(0);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  // A new identity per request (deps or tick changed): an answer shows only if it answers the latest.
  const [last, setLast] = useState(() => ({ deps, tick, id: {} as object }));
  let request = last.id;
  if (tick !== last.tick || deps.length !== last.deps.length || deps.some((d, i) => !Object.is(d, last.deps[i]))) {
    const next = { deps, tick, id: {} };
    request = next.id;
    setLast(next); // adjusting state while rendering: React re-renders before committing
  }
  const [state, setState] = useState<{ for?: object; value?: T; error?: unknown }>({});

  useEffect(() => {
    let alive = true;
    load().then(
      (value) => alive && setState({ for: request, value }),
      (error: unknown) => alive && setState((s) => ({ for: request, value: s.value, error }))
    );
    return () => {
      alive = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [request]);

  useEffect(() => {
    if (refreshMs <= 0) {
      return;
    }
    const timer = setInterval(reload, refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs, reload]);

  return { value: state.value, error: state.error, loading: state.for !== request, reload };
}

/** A value that follows `value` once it has stopped changing for `ms` (at once when ms ≤ 0). */
export function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = useState(value);
  useEffect(() => {
    if (ms <= 0) {
      return;
    }
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return ms <= 0 ? value : debounced;
}
