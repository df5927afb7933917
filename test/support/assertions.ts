/** Assertions shared by the test projects. */

/** Expects `promise` to reject with an error of `type` and returns it, for further checks. */
export async function rejection<T extends Error>(promise: Promise<unknown>, type: new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(type);
    return error as T;
  }
  throw new Error(`expected a ${type.name}`);
}
