// Validation messages for forms: the same zod schemas the API validates with, and the API's
// own 400 issues, both mapped onto the fields they concern.
import type * as z from 'zod';
import type { Issue } from './api.js';

export type FieldErrors = Readonly<Record<string, string>>;

/** zod's generic wording made to read after a field label, like the schemas' own messages. */
export function friendlyMessage(message: string): string {
  if (/received undefined$/.test(message) || /^Invalid input: expected \w+, received null/.test(message)) return 'is required';
  if (/^Invalid input: expected number/.test(message)) return 'must be a number';
  if (/^Invalid option/.test(message)) return 'must be one of the listed options';
  if (/^Too small: expected number to be >=(.+)$/.test(message)) return `must be at least ${message.split('>=')[1]}`;
  if (/^Too big: expected number to be <=(.+)$/.test(message)) return `must be at most ${message.split('<=')[1]}`;
  if (/^Too small: expected number to be >0$/.test(message)) return 'must be more than 0';
  if (/^Unrecognized key/.test(message)) return 'is not expected here';
  return message;
}

export function zodIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: friendlyMessage(i.message) }));
}

/** The first issue per path. */
export function fieldErrors(issues: readonly Issue[]): FieldErrors {
  const out: Record<string, string> = {};
  for (const i of issues) out[i.path] ??= i.message;
  return out;
}

/** The message shown under a field: "Must be a real calendar date". */
export function fieldMessage(errors: FieldErrors, path: string): string | undefined {
  const m = errors[path];
  if (!m) return undefined;
  const text = m.replace(/^is /, '');
  return text.charAt(0).toUpperCase() + text.slice(1);
}
