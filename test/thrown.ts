/**
 * The error a call throws, for tests that check more of it than `toThrow` can (its class,
 * name, fields and whole message at once). Fails the test when the call returns.
 */
export function thrownBy(f: () => unknown): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected the call to throw; it returned');
}
