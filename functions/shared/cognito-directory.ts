// The clinician directory in AWS: the user pool's coordinators and physicians groups, with each
// physician's custom:team and custom:site. Cached for a few minutes per container, so a page of
// "my work" costs no Cognito call (ListUsersInGroup is limited to a few calls per second).
// The SDK is imported by `cognitoDirectory` on first use, never statically (see mailer.ts).
import type * as Cognito from '@aws-sdk/client-cognito-identity-provider';
import type { AccessDeclaration } from './aws-access.js';
import { CLINICAL_TEAMS, type ClinicalTeam, type ClinicianDirectory, type Member } from '../domain/directory.js';

const CACHE_MS = 5 * 60_000;

/** The directory of `userPoolId`, with the Cognito SDK imported now. */
export async function cognitoDirectory(userPoolId: string): Promise<CognitoDirectory> {
  const sdk = await import('@aws-sdk/client-cognito-identity-provider');
  return new CognitoDirectory(new sdk.CognitoIdentityProviderClient({}), sdk.ListUsersInGroupCommand, userPoolId);
}

/** The AWS call of CognitoDirectory (functions/shared/aws-access.ts). */
export const COGNITO_DIRECTORY_ACCESS = {
  /** members: the coordinators and physicians groups */
  members: { userPool: ['cognito-idp:ListUsersInGroup'] },
} as const satisfies AccessDeclaration;

export class CognitoDirectory implements ClinicianDirectory {
  private cached: { at: number; members: readonly Member[] } | undefined;

  constructor(
    private readonly cognito: Cognito.CognitoIdentityProviderClient,
    private readonly ListUsersInGroupCommand: typeof Cognito.ListUsersInGroupCommand,
    private readonly userPoolId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async members(): Promise<readonly Member[]> {
    if (this.cached && this.now() - this.cached.at < CACHE_MS) return this.cached.members;
    const members = [...(await this.group('coordinators', 'coordinator')), ...(await this.group('physicians', 'physician'))];
    this.cached = { at: this.now(), members };
    return members;
  }

  private async group(groupName: string, role: Member['role']): Promise<Member[]> {
    const out: Member[] = [];
    let next: string | undefined;
    do {
      const page = await this.cognito.send(new this.ListUsersInGroupCommand({ UserPoolId: this.userPoolId, GroupName: groupName, NextToken: next, Limit: 60 }));
      for (const user of page.Users ?? []) {
        if (user.Enabled === false) continue;
        const attr = (name: string) => user.Attributes?.find((a) => a.Name === name)?.Value;
        const email = attr('email');
        if (!email) continue;
        const team = attr('custom:team');
        const site = attr('custom:site');
        const name = [attr('given_name'), attr('family_name')].filter(Boolean).join(' ') || email;
        out.push({
          email,
          name,
          role,
          ...(user.Username ? { sub: attr('sub') ?? user.Username } : {}),
          ...(team && (CLINICAL_TEAMS as readonly string[]).includes(team) ? { team: team as ClinicalTeam } : {}),
          ...(site ? { site } : {}),
        });
      }
      next = page.NextToken;
    } while (next);
    return out;
  }
}
