// Structured logs with Powertools; patient fields are never passed to it. As a second line of
// defence, any key that names PHI is redacted before a line is written.
import { Logger } from '@aws-lambda-powertools/logger';

const PHI_KEYS = /^(mrn|givenName|familyName|birthDate|patient|name|notes|referringPhysician)$/i;

function redact(value: unknown, depth = 0): unknown {
  if (depth > 5 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = PHI_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

const base = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'csf-leak-pathway', logLevel: (process.env.LOG_LEVEL as 'INFO' | undefined) ?? 'INFO' });

export const logger = {
  info: (message: string, fields: Record<string, unknown> = {}) => base.info(message, redact(fields) as Record<string, unknown>),
  warn: (message: string, fields: Record<string, unknown> = {}) => base.warn(message, redact(fields) as Record<string, unknown>),
  error: (message: string, fields: Record<string, unknown> = {}) => base.error(message, redact(fields) as Record<string, unknown>),
};
export { redact };
