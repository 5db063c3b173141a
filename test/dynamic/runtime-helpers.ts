// Shared by the dynamic-shape suites: the code and message of what a call throws.
export function errorOf(fn: () => unknown): { code: string; message: string } {
  try {
    fn();
  } catch (e: any) {
    return { code: e.code, message: e.message };
  }
  throw new Error('expected a throw');
}
