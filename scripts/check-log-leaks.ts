// The last step of `npm test`: no log line written by any server of the whole suite may contain any
// secret the suite created (tokens, passwords, keys).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findLeaks } from '../test/support/log-leaks.ts';

const dir =
  process.env.TESSERA_TEST_LOG_DIR ??
  readFileSync(join(process.cwd(), '.tessera', 'test-logs', 'LATEST'), 'utf8').trim();
const report = findLeaks(dir);
if (report.leaks.length > 0) {
  console.error(
    `secret leak check: ${report.leaks.length} secret(s) found in test logs:\n${report.leaks.join('\n')}`,
  );
  process.exit(1);
}
if (report.secrets === 0 || report.logFiles === 0) {
  console.error('secret leak check: nothing was captured; the suite did not record its logs or secrets');
  process.exit(1);
}
console.log(
  `secret leak check: ${report.secrets} secrets searched in ${report.logFiles} log files, none found`,
);
