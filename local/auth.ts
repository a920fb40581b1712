// Local identity: an ES256 key under the data folder signs tokens shaped like Cognito's, and the
// local API server verifies them the way API Gateway's JWT authorizer would (issuer, audience,
// expiry, algorithm). Never deployed: in the cloud the issuer is the Cognito user pool.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair, importJWK, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { GROUP_OF_ROLE, type Role } from '../functions/domain/vocabulary.js';

export const LOCAL_ISSUER = 'csf-leak-pathway-local';
export const LOCAL_AUDIENCE = 'csf-leak-pathway';
const ALG = 'ES256';

interface KeyFile {
  readonly kid: string;
  readonly privateJwk: JWK;
  readonly publicJwk: JWK;
}

async function loadKeyFile(dataDir: string): Promise<KeyFile> {
  const path = join(dataDir, 'auth', 'signing-key.json');
  try {
    return JSON.parse(await readFile(path, 'utf8')) as KeyFile;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
  const file: KeyFile = { kid: `local-${Date.now()}`, privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) };
  await mkdir(join(dataDir, 'auth'), { recursive: true });
  try {
    await writeFile(path, JSON.stringify(file), { flag: 'wx', mode: 0o600 });
    return file;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return JSON.parse(await readFile(path, 'utf8')) as KeyFile;
    throw err;
  }
}

export interface TokenRequest {
  readonly role: Role;
  readonly email?: string;
  readonly site?: string;
  /** TEAM: custom:team (neuroradiology, neurointerventional, neurosurgery) for physicians. */
  readonly team?: string;
  readonly sub?: string;
  readonly expiresIn?: string;
}

export async function issueToken(dataDir: string, req: TokenRequest): Promise<string> {
  const key = await loadKeyFile(dataDir);
  const email = req.email ?? `${req.role}@example.org`;
  const claims: JWTPayload = { email, 'cognito:groups': [GROUP_OF_ROLE[req.role]], token_use: 'id', ...(req.site ? { 'custom:site': req.site } : {}), ...(req.team ? { 'custom:team': req.team } : {}) };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: ALG, kid: key.kid, typ: 'JWT' })
    .setSubject(req.sub ?? `local-${req.role}-${email}`)
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(req.expiresIn ?? '12h')
    .sign(await importJWK(key.privateJwk, ALG));
}

export type TokenVerifier = (token: string) => Promise<Record<string, unknown>>;

export async function localVerifier(dataDir: string): Promise<TokenVerifier> {
  const key = await loadKeyFile(dataDir);
  const publicKey = await importJWK(key.publicJwk, ALG);
  return async (token) => {
    // As API Gateway's JWT authorizer: a token must expire, and must name its subject.
    const { payload } = await jwtVerify(token, publicKey, { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, algorithms: [ALG], requiredClaims: ['exp', 'sub'] });
    return payload as Record<string, unknown>;
  };
}
