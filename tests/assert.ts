/**
 * The assertions the tests use, on top of node:assert/strict (JSR's @std/assert is unreachable
 * here). `assertThrows` returns the error so tests can look at its message.
 */
import assert from "node:assert/strict";

export const assertEquals: <T>(actual: T, expected: T, message?: string) => void = (a, e, m) =>
  assert.deepStrictEqual(a, e, m);

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  assert.match(actual, pattern, message);
}

export function assertThrows<E extends Error>(
  fn: () => unknown,
  type: new (...args: never[]) => E,
  includes?: string,
): E {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
    if (includes !== undefined) {
      assert.ok(
        (err as Error).message.includes(includes),
        `"${(err as Error).message}" lacks "${includes}"`,
      );
    }
    return err as E;
  }
  throw new assert.AssertionError({ message: `expected ${type.name} to be thrown` });
}

export async function assertRejects<E extends Error>(
  fn: () => Promise<unknown>,
  type: new (...args: never[]) => E,
  includes?: string,
): Promise<E> {
  try {
    await fn();
  } catch (err) {
    assert.ok(err instanceof type, `expected ${type.name}, got ${err}`);
    if (includes !== undefined) {
      const message = (err as Error).message;
      assert.ok(message.includes(includes), `"${message}" lacks "${includes}"`);
    }
    return err as E;
  }
  throw new assert.AssertionError({ message: `expected ${type.name} to be rejected` });
}
