// The raw email the SES mailer sends, read back by a real MIME parser (mailparser, the one the
// local SES uses): subject and bodies survive in UTF-8, the case's thread and the notification's
// stable key are in the headers, and no value can start a header of its own.
import { simpleParser } from 'mailparser';
import { describe, expect, it } from 'vitest';
import type { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { MailRejectedError, TransientError } from '../../functions/shared/errors.js';
import { NOTIFICATION_HEADER, SesMailer, threadHeaders } from '../../functions/shared/mailer.js';
import { composeMime, encodeWords } from '../../functions/shared/mime.js';

const FROM = 'CSF Leak Pathway <pathway@example.org>';
const ID = '01JCSFENGXNE00000000000000';

/** A stand-in for the SDK's client: keeps each command's input, answers like SES. */
function fakeSes(answer: (input: unknown) => unknown = () => ({ MessageId: 'ses-1' })) {
  const inputs: { Source?: string; Destinations?: string[]; RawMessage?: { Data?: Uint8Array } }[] = [];
  const client = { send: async (cmd: { input: unknown }) => { inputs.push(cmd.input as never); return answer(cmd.input); } } as unknown as SESClient;
  class Command {
    constructor(readonly input: unknown) {}
  }
  return { client, inputs, Command: Command as unknown as typeof SendRawEmailCommand };
}

describe('the raw email', () => {
  it('reads back with its subject, both bodies, sender, recipients and extra headers', async () => {
    const raw = composeMime({
      from: FROM,
      to: ['neuroradiology.santa-clara@example.org', 'coordinators@example.org'],
      subject: 'Triage due — CSF-2026-000042 ✓ (deux étapes, ünïcödé enough to need two encoded words)',
      text: 'Plain text: naïve café, line one\nline two',
      html: '<p>HTML: <strong>naïve café</strong></p>',
      headers: { References: `<case.${ID}@example.org>` },
    });
    expect([...raw].every((ch) => ch.charCodeAt(0) < 128)).toBe(true);
    const mail = await simpleParser(raw);
    expect(mail.subject).toBe('Triage due — CSF-2026-000042 ✓ (deux étapes, ünïcödé enough to need two encoded words)');
    expect(mail.text?.trim()).toBe('Plain text: naïve café, line one\nline two');
    expect(mail.html).toContain('<strong>naïve café</strong>');
    expect(mail.from?.text).toBe(FROM.replace('CSF Leak Pathway', '"CSF Leak Pathway"'));
    expect((Array.isArray(mail.to) ? mail.to : [mail.to]).flatMap((a) => a?.value.map((v) => v.address) ?? [])).toEqual(['neuroradiology.santa-clara@example.org', 'coordinators@example.org']);
    expect(mail.references).toBe(`<case.${ID}@example.org>`);
  });

  it('keeps encoded words within 75 characters without splitting a character', () => {
    const words = encodeWords('é'.repeat(100)).split(' ');
    expect(words.length).toBeGreaterThan(1);
    for (const w of words) {
      expect(w.length).toBeLessThanOrEqual(75);
      expect(Buffer.from(w.replace(/^=\?UTF-8\?B\?|\?=$/g, ''), 'base64').toString('utf8')).toMatch(/^é+$/);
    }
    expect(encodeWords('Plain ASCII subject')).toBe('Plain ASCII subject');
  });

  it('refuses a header value with a line break, and encodes one in the subject instead of obeying it', async () => {
    expect(() => composeMime({ from: FROM, to: ['a@example.org'], subject: 's', text: 't', html: 'h', headers: { References: '<a@example.org>\r\nBcc: evil@example.org' } })).toThrow(/one line/);
    const mail = await simpleParser(composeMime({ from: FROM, to: ['a@example.org'], subject: 'Hello\r\nBcc: evil@example.org', text: 't', html: 'h' }));
    expect(mail.bcc).toBeUndefined();
    expect(mail.headers.has('bcc')).toBe(false);
  });
});

describe('the SES mailer', () => {
  it('sends raw email threaded on the case, with the notification\'s stable key, and answers SES\'s message id', async () => {
    const ses = fakeSes();
    const mailer = new SesMailer(ses.client, FROM, ses.Command);
    const id = await mailer.send({ to: ['coordinators@example.org'], subject: 'Referral received: CSF-2026-000042', text: 'Open the case', html: '<p>Open the case</p>', patientId: ID, key: '1.referral_received_team' });
    expect(id).toBe('ses-1');
    expect(ses.inputs[0]?.Destinations).toEqual(['coordinators@example.org']);
    const mail = await simpleParser(Buffer.from(ses.inputs[0]?.RawMessage?.Data ?? new Uint8Array()));
    expect(mail.references).toBe(`<case.${ID}@example.org>`);
    expect(mail.inReplyTo).toBe(`<case.${ID}@example.org>`);
    expect(mail.headers.get(NOTIFICATION_HEADER.toLowerCase())).toBe(`${ID}.1.referral_received_team`);
    expect(mail.subject).toBe('Referral received: CSF-2026-000042');
  });

  it('gives every email of one case the same thread, and a resend of one email the same key', () => {
    const a = threadHeaders({ to: [], subject: '', text: '', html: '', patientId: ID, key: '2.stage_entered_team' }, FROM);
    const b = threadHeaders({ to: [], subject: '', text: '', html: '', patientId: ID, key: '3.stage_entered_team' }, FROM);
    const again = threadHeaders({ to: [], subject: '', text: '', html: '', patientId: ID, key: '2.stage_entered_team' }, FROM);
    expect(a.References).toBe(b.References);
    expect(a[NOTIFICATION_HEADER]).not.toBe(b[NOTIFICATION_HEADER]);
    expect(again).toEqual(a);
    expect(threadHeaders({ to: [], subject: '', text: '', html: '' }, FROM)).toEqual({});
  });

  it('still tells a refusal from an outage', async () => {
    const refused = fakeSes(() => {
      throw Object.assign(new Error('no'), { name: 'MessageRejected', $metadata: { httpStatusCode: 400 } });
    });
    await expect(new SesMailer(refused.client, FROM, refused.Command).send({ to: ['a@example.org'], subject: 's', text: 't', html: 'h' })).rejects.toBeInstanceOf(MailRejectedError);
    const down = fakeSes(() => {
      throw Object.assign(new Error('reset'), { name: 'ECONNRESET' });
    });
    await expect(new SesMailer(down.client, FROM, down.Command).send({ to: ['a@example.org'], subject: 's', text: 't', html: 'h' })).rejects.toBeInstanceOf(TransientError);
  });
});
