// SES v1 SendRawEmail behind a small interface, so the domain never sees the SDK. The SDK module
// is imported by `sesMailer` on first use, never statically: a bundler hoists a static import of
// an external package to the top of the handler, and every handler would then load SES at init.
// Raw rather than SendEmail because every email about a case carries the case's thread
// (`References`, which mail clients thread on) and a stable identifier of the notification.
import type * as Ses from '@aws-sdk/client-ses';
import type { AccessDeclaration } from './aws-access.js';
import { MailRejectedError, MailThrottledError, TransientError } from './errors.js';
import { composeMime } from './mime.js';

export interface MailMessage {
  readonly to: readonly string[];
  readonly subject: string;
  readonly html: string;
  readonly text: string;
  /** The case the email is about: its emails share one thread. An id, never patient data. */
  readonly patientId?: string;
  /** What this email is, the same on every resend of it (e.g. `<step>.<template>`): a duplicate after a crash carries the same one. */
  readonly key?: string;
}

/** The header naming a notification stably (a resend carries the same value). */
export const NOTIFICATION_HEADER = 'X-CSF-Notification';

/** Thread headers of a message: the case's anchor in References and In-Reply-To, and the notification's key. */
export function threadHeaders(m: MailMessage, from: string): Record<string, string> {
  if (!m.patientId) return {};
  const domain = /@([^>\s]+)>?$/.exec(from)?.[1] ?? 'localhost';
  const anchor = `<case.${m.patientId}@${domain}>`;
  return { References: anchor, 'In-Reply-To': anchor, ...(m.key ? { [NOTIFICATION_HEADER]: `${m.patientId}.${m.key}` } : {}) };
}

export interface Mailer {
  /** Sends one message; resolves to the provider's message id. */
  send(message: MailMessage): Promise<string>;
}

const THROTTLED = new Set(['Throttling', 'ThrottlingException', 'TooManyRequestsException', 'ServiceUnavailable', 'LimitExceededException']);
const REJECTED = new Set(['MessageRejected', 'MailFromDomainNotVerifiedException', 'ConfigurationSetDoesNotExistException', 'AccountSendingPausedException']);

/** The SES mailer, with the SES SDK imported now. */
export async function sesMailer(from: string, client?: Ses.SESClient): Promise<SesMailer> {
  const sdk = await import('@aws-sdk/client-ses');
  return new SesMailer(client ?? new sdk.SESClient({}), from, sdk.SendRawEmailCommand);
}

/** The AWS call of SesMailer (functions/shared/aws-access.ts): SendRawEmail, never SendEmail. */
export const MAILER_ACCESS = {
  /** send */
  send: { mailIdentity: ['ses:SendRawEmail'] },
} as const satisfies AccessDeclaration;

export class SesMailer implements Mailer {
  constructor(
    private readonly ses: Ses.SESClient,
    private readonly from: string,
    private readonly SendRawEmailCommand: typeof Ses.SendRawEmailCommand,
  ) {}

  async send(message: MailMessage): Promise<string> {
    const raw = composeMime({ from: this.from, to: message.to, subject: message.subject, text: message.text, html: message.html, headers: threadHeaders(message, this.from) });
    try {
      const out = await this.ses.send(
        new this.SendRawEmailCommand({ Source: this.from, Destinations: [...message.to], RawMessage: { Data: new TextEncoder().encode(raw) } }),
      );
      return out.MessageId ?? '';
    } catch (err) {
      const name = (err as { name?: string }).name ?? '';
      const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (THROTTLED.has(name) || status === 429 || status === 503) throw new MailThrottledError(`SES throttled: ${name}`);
      if (REJECTED.has(name)) throw new MailRejectedError(`SES rejected the message: ${name}`);
      if (status === undefined || status >= 500) throw new TransientError(`SES unreachable: ${name}`);
      throw new MailRejectedError(`SES refused the message: ${name}`);
    }
  }
}
