import { describe, expect, it } from "vitest";
import { released } from "./rpc.ts";

describe("released", () => {
  it("disposes an object result once and hands it back with its data readable", async () => {
    let disposed = 0;
    const result = {
      id: "job-1",
      [Symbol.dispose]: () => {
        disposed += 1;
      },
    };
    const value = await released(Promise.resolve(result));
    expect(value).toBe(result);
    expect(value.id).toBe("job-1");
    expect(disposed).toBe(1);
  });

  it("passes through values that have no dispose: primitives, null and plain objects", async () => {
    expect(await released(Promise.resolve(7))).toBe(7);
    expect(await released(Promise.resolve(null))).toBeNull();
    const plain = { images: ["a"] };
    expect(await released(Promise.resolve(plain))).toBe(plain);
  });

  it("rejects as the call did, with nothing to dispose", async () => {
    await expect(released(Promise.reject(new Error("instance not found")))).rejects.toThrow("instance not found");
  });
});
