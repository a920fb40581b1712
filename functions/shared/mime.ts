// The raw message SES SendRawEmail takes: one multipart/alternative (plain text and HTML, both
// base64 UTF-8) with the headers SES keeps. SendEmail cannot carry headers of our own, and the
// team's mail clients thread on `References` (SES replaces any Message-ID we give, so the
// thread's anchor goes in References, as mail relays that rewrite Message-ID advise).
// Written here rather than taken from a mail library: the message has one fixed shape, and
// nodemailer's composer alone would add 136 KB to every handler that sends mail (budget 250 KB).
import { randomBytes } from 'node:crypto';

export interface RawMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** Extra header fields, e.g. References (values are single lines; a line break is refused). */
  readonly headers?: Readonly<Record<string, string>>;
}

const CRLF = '\r\n';
const HEADER_NAME = /^[A-Za-z][A-Za-z0-9-]*$/;

/** The message as RFC 5322 / MIME text, ready to be sent as SendRawEmail's RawMessage.Data. */
export function composeMime(m: RawMessage, boundary = `=_csf_${randomBytes(12).toString('hex')}`): string {
  const fields: [string, string][] = [
    ['From', m.from],
    ['To', m.to.join(', ')],
    ['Subject', encodeWords(m.subject)],
    ['MIME-Version', '1.0'],
    ...Object.entries(m.headers ?? {}),
    ['Content-Type', `multipart/alternative; boundary="${boundary}"`],
  ];
  const head = fields.map(([name, value]) => `${headerName(name)}: ${singleLine(name, value)}`);
  const part = (type: string, body: string) =>
    [`--${boundary}`, `Content-Type: ${type}; charset=UTF-8`, 'Content-Transfer-Encoding: base64', '', base64Lines(body)].join(CRLF);
  return [...head, '', part('text/plain', m.text), part('text/html', m.html), `--${boundary}--`, ''].join(CRLF);
}

function headerName(name: string): string {
  if (!HEADER_NAME.test(name)) throw new Error(`not a header field name: ${name}`);
  return name;
}

/** A header value on one line: a CR or LF would let a value start headers of its own. */
function singleLine(name: string, value: string): string {
  if (/[\r\n]/.test(value)) throw new Error(`the ${name} header must be one line`);
  return value;
}

/** Base64 in lines of 76 characters (RFC 2045). */
function base64Lines(text: string): string {
  return (Buffer.from(text, 'utf8').toString('base64').match(/.{1,76}/g) ?? ['']).join(CRLF);
}

/**
 * A header text as RFC 2047 encoded words when it is not plain ASCII: UTF-8, base64, each word
 * at most 75 characters and never splitting a character.
 */
export function encodeWords(text: string): string {
  if (/^[\x20-\x7e]*$/.test(text)) return text;
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    if (Buffer.byteLength(chunk + ch, 'utf8') > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w, 'utf8').toString('base64')}?=`).join(' ');
}
