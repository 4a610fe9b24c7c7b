import { realpath, open } from 'node:fs/promises';
import { posix, sep } from 'node:path';
import { ExecutorError } from './executor-error.ts';

/** Files the executor reads for the service are cut here: the service wants context, not bulk. */
export const MAX_READ_BYTES = 64 * 1024;

/**
 * A path the service named, checked to stay inside the checkout: relative, no `..` segment, not in
 * `.git`, no control characters. Answers the normalised relative path, or throws naming the rule.
 *
 * @example
 * ```ts
 * checkoutRelativePath('docs/./guide.md'); // 'docs/guide.md'
 * checkoutRelativePath('../etc/passwd');   // throws
 * ```
 */
export function checkoutRelativePath(path: string): string {
  // eslint-disable-next-line no-control-regex
  if (path === '' || path.length > 1024 || /[\u0000-\u001f]/.test(path)) {
    throw new ExecutorError('refused: not a usable path');
  }
  if (path.startsWith('/')) throw new ExecutorError('refused: absolute paths are outside the checkout');
  const segments = path.split('/');
  if (segments.includes('..')) throw new ExecutorError('refused: ".." leaves the checkout');
  const normalised = posix.normalize(path).replace(/\/+$/, '');
  if (normalised === '.' || normalised === '') throw new ExecutorError('refused: not a file path');
  if (normalised.split('/').some((segment) => segment.toLowerCase() === '.git')) {
    throw new ExecutorError("refused: the repository's .git directory is off limits");
  }
  return normalised;
}

/**
 * Reads a file of the checkout for `read_file`, at most {@link MAX_READ_BYTES}: the path must pass
 * {@link checkoutRelativePath}, and where it really leads (after every symlink) must still be a
 * regular file inside the checkout.
 *
 * @example
 * ```ts
 * const { text, truncated } = await readCheckoutFile('/tmp/checkout', 'README.md');
 * ```
 */
export async function readCheckoutFile(
  root: string,
  path: string,
): Promise<{ text: string; truncated: boolean; size: number }> {
  const relative = checkoutRelativePath(path);
  const realRoot = await realpath(root);
  let target: string;
  try {
    target = await realpath(`${realRoot}${sep}${relative}`);
  } catch {
    throw new ExecutorError(`no such file: ${relative}`);
  }
  if (!target.startsWith(`${realRoot}${sep}`)) {
    throw new ExecutorError(`refused: ${relative} leads outside the checkout`);
  }
  const file = await open(target, 'r');
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw new ExecutorError(`refused: ${relative} is not a regular file`);
    const buffer = Buffer.alloc(Math.min(stats.size, MAX_READ_BYTES));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return {
      text: buffer.subarray(0, bytesRead).toString('utf8'),
      truncated: stats.size > MAX_READ_BYTES,
      size: stats.size,
    };
  } finally {
    await file.close();
  }
}
