/**
 * An RPC call's result, released once it has arrived. workerd gives every object a binding or
 * the Workflow engine returns over RPC (a Workflow step's result, the `WorkflowInstance` of
 * `create()` and `get()` in production) a `Symbol.dispose` of its own; left to the garbage
 * collector it holds the call open and workerd warns "An RPC result was not disposed properly".
 * The data stays readable after dispose. A value without a dispose (a primitive, or the plain
 * objects of the local bindings) is returned as it is.
 * @example const generated = await released(step.do("generate", () => runGeneration(env, jobId)));
 */
export async function released<T>(result: Promise<T>): Promise<T> {
  const value = await result;
  if (typeof value === "object" && value !== null) (value as Partial<Disposable>)[Symbol.dispose]?.();
  return value;
}
