// SES v1 SendEmail behind a small interface, so the domain never sees the SDK. The SDK module is
// imported by `sesMailer` on first use, never statically: a bundler hoists a static import of an
// external package to the top of the handler, and every handler would then load SES at init.
import type * as Ses from '@aws-sdk/client-ses';
import { MailRejectedError, MailThrottledError, TransientError } from './errors.js';

export interface MailMessage {
  readonly to: readonly string[];
  readonly subject: string;
  readonly html: string;
  readonly text: string;
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
  return new SesMailer(client ?? new sdk.SESClient({}), from, sdk.SendEmailCommand);
}

export class SesMailer implements Mailer {
  constructor(
    private readonly ses: Ses.SESClient,
    private readonly from: string,
    private readonly SendEmailCommand: typeof Ses.SendEmailCommand,
  ) {}

  async send(message: MailMessage): Promise<string> {
    try {
      const out = await this.ses.send(
        new this.SendEmailCommand({
          Source: this.from,
          Destination: { ToAddresses: [...message.to] },
          Message: {
            Subject: { Data: message.subject, Charset: 'UTF-8' },
            Body: { Html: { Data: message.html, Charset: 'UTF-8' }, Text: { Data: message.text, Charset: 'UTF-8' } },
          },
        }),
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
