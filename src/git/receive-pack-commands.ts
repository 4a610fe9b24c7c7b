import { PassThrough, type Readable } from 'node:stream';

/** One ref update a push asks for. */
export interface RefUpdate {
  oldSha: string;
  newSha: string;
  /** Full ref name: `refs/heads/main`, `refs/tags/v1`. */
  ref: string;
}

/** The command list can hold many refs, never megabytes: a bound against a body that never flushes. */
const MAX_COMMAND_BYTES = 1024 * 1024;

/**
 * Reads the ref updates at the start of a `git-receive-pack` request body (pkt-lines up to the first
 * flush-pkt) so that protected branches can be checked before git sees the push. Resolves with the
 * updates and the whole body, replayed from its first byte, to hand on to git.
 */
export function readRefUpdates(body: Readable): Promise<{ updates: RefUpdate[]; body: Readable }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const onData = (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      const parsed = parseCommands(buffered);
      if (parsed === 'incomplete') {
        if (buffered.length > MAX_COMMAND_BYTES) done(new Error('push command list too long'));
        return;
      }
      if (parsed === 'invalid') return done(new Error('malformed push command list'));
      done(undefined, parsed);
    };
    const onEnd = () => {
      const parsed = parseCommands(buffered);
      if (Array.isArray(parsed)) done(undefined, parsed);
      else done(new Error('push command list ended early'));
    };
    const done = (error?: Error, updates?: RefUpdate[]) => {
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      if (error) return reject(error);
      body.pause();
      const replay = new PassThrough();
      replay.write(buffered);
      body.pipe(replay);
      resolve({ updates: updates!, body: replay });
    };
    const onError = (error: Error) => done(error);
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
  });
}

function parseCommands(buffer: Buffer): RefUpdate[] | 'incomplete' | 'invalid' {
  const updates: RefUpdate[] = [];
  let offset = 0;
  for (;;) {
    if (buffer.length < offset + 4) return 'incomplete';
    const length = Number.parseInt(buffer.subarray(offset, offset + 4).toString('latin1'), 16);
    if (Number.isNaN(length)) return 'invalid';
    if (length === 0) return updates;
    if (length < 4) return 'invalid';
    if (buffer.length < offset + length) return 'incomplete';
    const line = buffer.subarray(offset + 4, offset + length).toString('utf8');
    offset += length;
    // `shallow <sha>` lines may precede the commands; capabilities follow the first command after NUL.
    if (line.startsWith('shallow ')) continue;
    const command = line.split('\0')[0]!.replace(/\n$/, '');
    const match = /^([0-9a-f]{40}) ([0-9a-f]{40}) (\S+)$/.exec(command);
    if (!match) return 'invalid';
    updates.push({ oldSha: match[1]!, newSha: match[2]!, ref: match[3]! });
  }
}
