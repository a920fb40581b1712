// npm run token -- <coordinator|physician|administrator|referrer> [--email E] [--site S] [--team T]
// Prints one bearer token accepted by the local stack, and nothing else on stdout.
import { parseArgs } from 'node:util';
import { ROLES, type Role } from '../functions/domain/vocabulary.js';
import { issueToken } from './auth.js';
import { localSettings } from './settings.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { email: { type: 'string' }, site: { type: 'string' }, team: { type: 'string' }, sub: { type: 'string' }, 'expires-in': { type: 'string' } },
});
const role = positionals[0] as Role | undefined;
if (!role || !ROLES.includes(role)) {
  console.error(`usage: npm run token -- <${ROLES.join('|')}> [--email E] [--site S] [--team T]`);
  process.exit(2);
}
const token = await issueToken(localSettings().dataDir, {
  role,
  ...(values.email ? { email: values.email } : {}),
  ...(values.site ? { site: values.site } : {}),
  ...(values.team ? { team: values.team } : {}),
  ...(values.sub ? { sub: values.sub } : {}),
  ...(values['expires-in'] ? { expiresIn: values['expires-in'] } : {}),
});
process.stdout.write(`${token}\n`);
