// Cloud sign-in: the Cognito hosted UI with the authorization-code flow and PKCE. Active only
// when the deployment serves /config.json (written next to the assets by the CDK app); the local
// stack serves none, so there the local sign-in form is used instead.
export interface CloudConfig {
  readonly apiUrl: string;
  readonly userPoolId: string;
  readonly clientId: string;
  /** Host name of the hosted UI, without https:// */
  readonly authDomain: string;
  readonly region: string;
}

const VERIFIER_KEY = 'csf-pathway.pkce-verifier';
const STATE_KEY = 'csf-pathway.pkce-state';

let loaded: Promise<CloudConfig | null> | undefined;

function isConfig(value: unknown): value is CloudConfig {
  const c = value as Partial<CloudConfig> | null;
  return !!c && ['apiUrl', 'userPoolId', 'clientId', 'authDomain', 'region'].every((k) => typeof (c as Record<string, unknown>)[k] === 'string');
}

/** The deployment's configuration, or null locally (no config.json, or the SPA's HTML fallback). */
export function cloudConfig(): Promise<CloudConfig | null> {
  loaded ??= fetch('/config.json', { cache: 'no-store' })
    .then(async (res) => {
      if (!res.ok || !(res.headers.get('content-type') ?? '').includes('json')) return null;
      const body: unknown = await res.json();
      return isConfig(body) ? body : null;
    })
    .catch(() => null);
  return loaded;
}

const base64url = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const randomString = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = () => `${location.origin}/`;

export async function startCloudSignIn(config: CloudConfig): Promise<void> {
  const verifier = randomString();
  const state = randomString();
  sessionStorage.setItem(VERIFIER_KEY, verifier);
  sessionStorage.setItem(STATE_KEY, state);
  const challenge = base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
  const params = new URLSearchParams({
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid email profile',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  location.assign(`https://${config.authDomain}/oauth2/authorize?${params.toString()}`);
}

/**
 * Back from the hosted UI with ?code=…: exchange it for tokens and return the ID token (it
 * carries email, cognito:groups and custom:site, which the API reads). Null when there is no code.
 */
export async function completeCloudSignIn(config: CloudConfig): Promise<string | null> {
  const url = new URL(location.href);
  const code = url.searchParams.get('code');
  if (!code) return null;
  const verifier = sessionStorage.getItem(VERIFIER_KEY);
  const expected = sessionStorage.getItem(STATE_KEY);
  sessionStorage.removeItem(VERIFIER_KEY);
  sessionStorage.removeItem(STATE_KEY);
  history.replaceState(null, '', '/');
  if (!verifier || !expected || url.searchParams.get('state') !== expected) throw new Error('The sign-in response did not match this browser session; sign in again.');
  const res = await fetch(`https://${config.authDomain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', client_id: config.clientId, code, redirect_uri: redirectUri(), code_verifier: verifier }),
  });
  if (!res.ok) throw new Error(`Sign-in failed (${res.status}); sign in again.`);
  const tokens = (await res.json()) as { id_token?: string };
  if (!tokens.id_token) throw new Error('Sign-in returned no ID token.');
  return tokens.id_token;
}

/** Where API calls go: the API's own origin in the cloud, the same origin locally. */
export async function apiUrl(path: string): Promise<string> {
  const config = await cloudConfig();
  return config ? `${config.apiUrl.replace(/\/$/, '')}${path}` : path;
}
