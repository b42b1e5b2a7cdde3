/**
 * A D1 binding that counts round trips: each `run`, `first`, `all`, `raw` of a statement, each
 * `batch` and each `exec` is one trip to the database. `log` records them in order with any other
 * mark a test adds (e.g. "provider" when the upstream is called), so a test can tell which trips
 * came before the provider call and which after.
 */
export function countingD1(db: D1Database, log: string[]): D1Database {
  const originals = new WeakMap<object, D1PreparedStatement>();
  const wrap = (stmt: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(stmt, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (typeof v !== "function") return v;
        if (prop === "bind") return (...args: unknown[]) => wrap(target.bind(...args));
        if (prop === "run" || prop === "first" || prop === "all" || prop === "raw") {
          return (...args: unknown[]) => {
            log.push("d1");
            return (v as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return v.bind(target);
      },
    });
    originals.set(proxy, stmt);
    return proxy;
  };
  return new Proxy(db, {
    get(target, prop) {
      const v = Reflect.get(target, prop, target);
      if (typeof v !== "function") return v;
      if (prop === "prepare") return (sql: string) => wrap(target.prepare(sql));
      if (prop === "batch") {
        return (stmts: D1PreparedStatement[]) => {
          log.push("d1");
          return target.batch(stmts.map((s) => originals.get(s) ?? s));
        };
      }
      if (prop === "exec") {
        return (sql: string) => {
          log.push("d1");
          return target.exec(sql);
        };
      }
      return v.bind(target);
    },
  });
}

/** D1 trips before the first `mark` in `log` and after the last one. */
export function tripsAround(log: string[], mark: string): { before: number; after: number } {
  const first = log.indexOf(mark);
  const last = log.lastIndexOf(mark);
  if (first < 0) throw new Error(`no ${mark} in ${log.join(",")}`);
  return {
    before: log.slice(0, first).filter((e) => e === "d1").length,
    after: log.slice(last + 1).filter((e) => e === "d1").length,
  };
}
