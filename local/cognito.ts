// A local Cognito user pool, just big enough for the clinician directory: the Cognito Identity
// Provider JSON 1.1 API's ListUsersInGroup, answered from the same members the configured
// directory serves locally (functions/domain/directory.ts). With TEAM_DIRECTORY_USER_POOL_ID set
// and AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER pointing here, the Team function reads its
// directory through functions/shared/cognito-directory.ts exactly as in AWS, and lists the same
// people (email, name, role, team, site) as with the configuration.
//
// The users are shaped as the synthesized pool holds them (lib/care-pathway-stack.ts): email
// sign-in, so the Username is the user's `sub`; `custom:team` and `custom:site`; the name split
// into `given_name` / `family_name` so that CognitoDirectory's join gives it back unchanged.
//
// Known gaps versus Cognito: one pool, read-only, ListUsersInGroup only; no throttling (Cognito
// allows a few ListUsersInGroup calls per second per pool, which is why the directory caches).
import type { Member } from '../functions/domain/directory.js';
import { authorizeCall, AwsJsonError, startJson11Endpoint, type AuthorizeHook } from './aws-endpoint.js';

export interface LocalCognitoOptions {
  readonly host: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  readonly userPoolId: string;
  readonly members: readonly Member[];
  readonly authorize?: AuthorizeHook;
}

export interface LocalCognito {
  readonly url: string;
  stop(): Promise<void>;
}

/** The pool's groups (lib/care-pathway-stack.ts) and the Member role each holds. */
const GROUPS: Readonly<Record<string, Member['role'] | null>> = {
  coordinators: 'coordinator',
  physicians: 'physician',
  // A Member is a coordinator or a physician only, so these two are always empty here.
  administrators: null,
  referrers: null,
};

/** The pool's custom:site and custom:team are at most 64 characters (lib/care-pathway-stack.ts). */
const CUSTOM_ATTRIBUTE_MAX = 64;
/** ListUsersInGroup's Limit: 0 to 60, and 60 when absent (as ListUsers). */
const MAX_LIMIT = 60;
const USER_POOL_ID = /^[\w-]+_[0-9a-zA-Z]+$/;

/**
 * The sign-in subject of a member: the configured one, else the subject local/auth.ts puts in a
 * token it issues for that person (`local-<role>-<email>`). In Cognito every user has a sub and
 * the ID token carries the same one, so the local directory keeps that pairing.
 */
export function localSubjectOf(member: Member): string {
  return member.sub ?? `local-${member.role}-${member.email}`;
}

interface CognitoUser {
  readonly Username: string;
  readonly Attributes: readonly { Name: string; Value: string }[];
  readonly UserCreateDate: number;
  readonly UserLastModifiedDate: number;
  readonly Enabled: true;
  readonly UserStatus: 'CONFIRMED';
}

/**
 * given_name and family_name whose join with one space (CognitoDirectory) is the name again:
 * split at the first space when both sides are non-empty, else the whole name is given_name.
 */
function nameAttributes(name: string): { Name: string; Value: string }[] {
  const space = name.indexOf(' ');
  if (space > 0 && space < name.length - 1) {
    return [
      { Name: 'given_name', Value: name.slice(0, space) },
      { Name: 'family_name', Value: name.slice(space + 1) },
    ];
  }
  return [{ Name: 'given_name', Value: name }];
}

/** The pool's users per group, checked once at start: what Cognito could not hold fails loudly here rather than differ silently. */
function usersByGroup(members: readonly Member[], createdAt: number): Map<string, CognitoUser[]> {
  const groups = new Map<string, CognitoUser[]>(Object.keys(GROUPS).map((g) => [g, []]));
  const usernames = new Set<string>();
  const emails = new Set<string>();
  for (const member of members) {
    const sub = localSubjectOf(member);
    const email = member.email.trim().toLowerCase();
    // Email is the sign-in alias: Cognito refuses a second user with the same address.
    if (usernames.has(sub) || emails.has(email)) throw new Error(`local Cognito: two directory members share the email or sub of ${member.email}`);
    for (const [attribute, value] of [
      ['custom:site', member.site],
      ['custom:team', member.team],
    ] as const) {
      if (value !== undefined && value.length > CUSTOM_ATTRIBUTE_MAX) throw new Error(`local Cognito: ${attribute} of ${member.email} is longer than the pool's ${CUSTOM_ATTRIBUTE_MAX} characters`);
    }
    usernames.add(sub);
    emails.add(email);
    const group = member.role === 'coordinator' ? 'coordinators' : 'physicians';
    groups.get(group)?.push({
      Username: sub,
      Attributes: [
        { Name: 'sub', Value: sub },
        { Name: 'email', Value: member.email },
        // The pool verifies email automatically (autoVerify), so its users have it verified.
        { Name: 'email_verified', Value: 'true' },
        ...nameAttributes(member.name),
        ...(member.team ? [{ Name: 'custom:team', Value: member.team }] : []),
        ...(member.site ? [{ Name: 'custom:site', Value: member.site }] : []),
      ],
      UserCreateDate: createdAt,
      UserLastModifiedDate: createdAt,
      Enabled: true,
      UserStatus: 'CONFIRMED',
    });
  }
  return groups;
}

/** NextToken: opaque to the caller; names the group it pages so a token cannot be replayed on another. */
function encodeToken(group: string, offset: number): string {
  return Buffer.from(JSON.stringify({ g: group, o: offset })).toString('base64url');
}

function decodeToken(token: unknown, group: string): number {
  if (typeof token !== 'string') throw new AwsJsonError('InvalidParameterException', 'NextToken must be a string.');
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { g?: unknown; o?: unknown };
    if (parsed.g === group && typeof parsed.o === 'number' && Number.isInteger(parsed.o) && parsed.o >= 0) return parsed.o;
  } catch {
    // fall through to the refusal below
  }
  throw new AwsJsonError('InvalidParameterException', 'Invalid pagination token.');
}

export async function startLocalCognito(opts: LocalCognitoOptions): Promise<LocalCognito> {
  // Epoch seconds, as the JSON protocol carries timestamps; fixed, so answers are stable.
  const groups = usersByGroup(opts.members, Math.floor(Date.now() / 1000));
  const poolArn = (poolId: string) => `arn:aws:cognito-idp:${opts.region}:${opts.accountId}:userpool/${poolId}`;

  async function listUsersInGroup(input: Record<string, unknown>, accessKeyId: string | undefined): Promise<unknown> {
    const { UserPoolId: poolId, GroupName: groupName, Limit: limit, NextToken: nextToken } = input;
    if (typeof poolId !== 'string' || !USER_POOL_ID.test(poolId) || poolId.length > 55) throw new AwsJsonError('InvalidParameterException', 'UserPoolId is missing or not a user pool id.');
    if (typeof groupName !== 'string' || groupName.length < 1 || groupName.length > 128) throw new AwsJsonError('InvalidParameterException', 'GroupName is missing or not 1 to 128 characters.');
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT)) {
      throw new AwsJsonError('InvalidParameterException', `Limit must be an integer from 0 to ${MAX_LIMIT}.`);
    }
    // IAM first, as in AWS: a caller without the permission learns nothing about the pool.
    await authorizeCall(opts.authorize, accessKeyId, [{ action: 'cognito-idp:ListUsersInGroup', resource: poolArn(poolId) }]);
    if (poolId !== opts.userPoolId) throw new AwsJsonError('ResourceNotFoundException', `User pool ${poolId} does not exist.`);
    const users = groups.get(groupName);
    if (!users) throw new AwsJsonError('ResourceNotFoundException', 'Group not found.');
    const offset = nextToken === undefined ? 0 : decodeToken(nextToken, groupName);
    const end = offset + (limit || MAX_LIMIT);
    return { Users: users.slice(offset, end), ...(end < users.length ? { NextToken: encodeToken(groupName, end) } : {}) };
  }

  return startJson11Endpoint({
    host: opts.host,
    port: opts.port,
    name: 'local-cognito',
    targetPrefix: 'AWSCognitoIdentityProviderService.',
    maxBodyBytes: 64 * 1024,
    handle: async (action, input, accessKeyId) => {
      if (action === 'ListUsersInGroup') return listUsersInGroup(input, accessKeyId);
      throw new AwsJsonError('UnknownOperationException', `The local user pool does not answer ${action}.`);
    },
  });
}
