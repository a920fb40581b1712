// SES v1 SendEmail behind a small interface, so the domain never sees the SDK.
import { SendEmailCommand, type SESClient } from '@aws-sdk/client-ses';
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

export class SesMailer implements Mailer {
  constructor(
    private readonly ses: SESClient,
    private readonly from: string,
  ) {}

  async send(message: MailMessage): Promise<string> {
    try {
      const out = await this.ses.send(
        new SendEmailCommand({
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
